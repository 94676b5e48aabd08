//! The declaration kinds of the language: which fields each takes, which are
//! required, what each field means, and which equation of the paper it instantiates.

/// Groups of Eq. 1.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Group {
    Above,
    Under,
    Sinks,
    Sold,
    Purchased,
}

impl Group {
    pub const ALL: [Group; 5] = [Group::Above, Group::Under, Group::Sinks, Group::Sold, Group::Purchased];
    pub fn name(self) -> &'static str {
        match self {
            Group::Above => "above",
            Group::Under => "under",
            Group::Sinks => "sinks",
            Group::Sold => "sold",
            Group::Purchased => "purchased",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Group::Above => "above-ground emissions C_above (Eq. 2)",
            Group::Under => "underground emissions C_under (Eq. 5)",
            Group::Sinks => "removals C_min (Eq. 6)",
            Group::Sold => "offsets sold C_S",
            Group::Purchased => "offsets purchased C_c",
        }
    }
    pub fn from_word(w: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.name() == w)
    }
}

/// Parts of C_above (Eq. 2).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Land {
    Mining,
    Residential,
    Road,
    Agricultural,
}

impl Land {
    pub const ALL: [Land; 4] = [Land::Mining, Land::Residential, Land::Road, Land::Agricultural];
    pub fn name(self) -> &'static str {
        match self {
            Land::Mining => "mining",
            Land::Residential => "residential",
            Land::Road => "road",
            Land::Agricultural => "agricultural",
        }
    }
    pub fn symbol(self) -> &'static str {
        match self {
            Land::Mining => "P_M",
            Land::Residential => "P_R",
            Land::Road => "P_S",
            Land::Agricultural => "P_A",
        }
    }
    pub fn from_word(w: &str) -> Option<Land> {
        Land::ALL.into_iter().find(|g| g.name() == w)
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Inventory,
    Gwp,
    Energy,
    Transport,
    Gas,
    Emission,
    Cover,
    Stand,
    Capture,
    Removal,
    Offset,
    /// A plausible range for one field of one kind (the prelude states them).
    Range,
    /// A kind declared in the language (`kind forest { … }`), by its name.
    User(KindName),
}

/// The name of a kind declared in the language, as a small number (a
/// declaration keeps its kind: two bytes, where a `&str` takes sixteen). Names
/// are registered for the life of the process, the same name once.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KindName(u16);

static KIND_NAMES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());

impl KindName {
    /// The number of a name (`None` past 65,535 distinct names).
    pub fn of(name: &'static str) -> Option<KindName> {
        let mut names = KIND_NAMES.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = names.iter().position(|n| *n == name) {
            return u16::try_from(i).ok().map(KindName);
        }
        let i = u16::try_from(names.len()).ok()?;
        names.push(name);
        Some(KindName(i))
    }

    pub fn name(self) -> &'static str {
        let names = KIND_NAMES.lock().unwrap_or_else(|p| p.into_inner());
        names.get(self.0 as usize).copied().unwrap_or("kind")
    }
}

/// What a field holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// A quantity (checked through the derived values that use it, or by `rule`).
    Quantity,
    /// Quoted text.
    Text,
    /// One word from a fixed list.
    Word(&'static [&'static str]),
    /// A reference to a declaration of the given kind (by name).
    Ref(Kind),
    /// `kind.field`, e.g. `stand.carbon`.
    Target,
    /// The scope of a term: a plain number 1, 2 or 3 (see [`Kind::default_scope`]).
    Scope,
}

#[derive(Clone, Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: FieldType,
    pub required: bool,
    pub meaning: &'static str,
}

const fn q(name: &'static str, required: bool, meaning: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        ty: FieldType::Quantity,
        required,
        meaning,
    }
}

pub const METHODS: &[&str] = &["stock_as_removal", "gain", "stock_difference"];
const LANDS: &[&str] = &["mining", "residential", "road", "agricultural"];
const GROUPS: &[&str] = &["above", "under", "sinks"];
const ECOSYSTEMS: &[&str] = &["farmland", "shrub", "grassland", "forest", "other"];

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Inventory,
        Kind::Gwp,
        Kind::Energy,
        Kind::Transport,
        Kind::Gas,
        Kind::Emission,
        Kind::Cover,
        Kind::Stand,
        Kind::Capture,
        Kind::Removal,
        Kind::Offset,
        Kind::Range,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Kind::Inventory => "inventory",
            Kind::Gwp => "gwp",
            Kind::Energy => "energy",
            Kind::Transport => "transport",
            Kind::Gas => "gas",
            Kind::Emission => "emission",
            Kind::Cover => "cover",
            Kind::Stand => "stand",
            Kind::Capture => "capture",
            Kind::Removal => "removal",
            Kind::Offset => "offset",
            Kind::Range => "range",
            Kind::User(w) => w.name(),
        }
    }

    /// What a declaration's term is, in words (`energy term`).
    pub fn term_meaning(self) -> &'static str {
        match self {
            Kind::Inventory => "inventory term",
            Kind::Gwp => "gwp term",
            Kind::Energy => "energy term",
            Kind::Transport => "transport term",
            Kind::Gas => "gas term",
            Kind::Emission => "emission term",
            Kind::Cover => "cover term",
            Kind::Stand => "stand term",
            Kind::Capture => "capture term",
            Kind::Removal => "removal term",
            Kind::Offset => "offset term",
            Kind::Range => "range term",
            Kind::User(_) => "term",
        }
    }

    /// The built-in declaration forms (`inventory`, `gwp`, `range`); the kinds
    /// of the balance are declared in the prelude (prelude/kinds.carbon).
    pub fn from_word(w: &str) -> Option<Kind> {
        [Kind::Inventory, Kind::Gwp, Kind::Range]
            .into_iter()
            .find(|k| k.word() == w)
    }

    /// The Eq. 1 group a declaration of this kind belongs to by default.
    pub fn default_group(self) -> Option<Group> {
        match self {
            Kind::Energy | Kind::Transport | Kind::Emission => Some(Group::Above),
            Kind::Gas => Some(Group::Under),
            Kind::Cover | Kind::Stand | Kind::Capture | Kind::Removal => Some(Group::Sinks),
            Kind::Offset | Kind::Inventory | Kind::Gwp | Kind::Range | Kind::User(_) => None,
        }
    }

    /// The scope (1 direct, 2 purchased energy, 3 other indirect) of a term of this
    /// kind when its declaration gives no `scope` field; `None` for kinds whose
    /// terms have no scope (offsets) or no term. Kinds with a scope take the
    /// field `scope` (see [`Kind::fields`]).
    pub fn default_scope(self) -> Option<u8> {
        match self {
            Kind::Energy
            | Kind::Transport
            | Kind::Gas
            | Kind::Emission
            | Kind::Cover
            | Kind::Stand
            | Kind::Capture
            | Kind::Removal => Some(1),
            // A declared kind's is its template's (names::kinds).
            Kind::Offset | Kind::Inventory | Kind::Gwp | Kind::Range | Kind::User(_) => None,
        }
    }

    pub fn equation(self) -> &'static str {
        match self {
            Kind::Energy => "Eq. 3",
            Kind::Transport => "Eq. 4",
            Kind::Gas => "Eq. 5",
            Kind::Cover => "Eq. 10–12",
            Kind::Stand => "Eq. 8–9",
            Kind::Emission => "Eq. 2",
            Kind::Capture | Kind::Removal => "Eq. 6",
            Kind::Offset => "Eq. 1",
            Kind::Inventory | Kind::Gwp | Kind::Range | Kind::User(_) => "",
        }
    }

    /// Field specifications. `Gwp` takes any substance name as a field. Every
    /// kind with a [`Kind::default_scope`] also takes `scope`, last.
    pub fn fields(self) -> Vec<FieldSpec> {
        let mut fields = self.own_fields();
        if self.default_scope().is_some() {
            fields.push(FieldSpec {
                name: "scope",
                ty: FieldType::Scope,
                required: false,
                meaning: "the term's scope: 1 (direct), 2 (purchased energy) or 3 (other indirect)",
            });
        }
        fields
    }

    fn own_fields(self) -> Vec<FieldSpec> {
        let land = FieldSpec {
            name: "land",
            ty: FieldType::Word(LANDS),
            required: false,
            meaning: "part of C_above (Eq. 2): mining, residential, road or agricultural",
        };
        let group = FieldSpec {
            name: "group",
            ty: FieldType::Word(GROUPS),
            required: false,
            meaning: "Eq. 1 group: above, under or sinks",
        };
        let method = FieldSpec {
            name: "method",
            ty: FieldType::Word(METHODS),
            required: true,
            meaning: "how the stock becomes an annual removal",
        };
        let ecosystem = FieldSpec {
            name: "ecosystem",
            ty: FieldType::Word(ECOSYSTEMS),
            required: false,
            meaning: "farmland (Eq. 10), shrub (Eq. 11), grassland (Eq. 12), forest or other",
        };
        let note = FieldSpec {
            name: "note",
            ty: FieldType::Text,
            required: false,
            meaning: "free text shown with the term",
        };
        match self {
            Kind::Inventory => vec![
                FieldSpec {
                    name: "site",
                    ty: FieldType::Text,
                    required: false,
                    meaning: "where the inventory is",
                },
                q("period", true, "the inventory period T of Eq. 1"),
                FieldSpec {
                    name: "gwp",
                    ty: FieldType::Ref(Kind::Gwp),
                    required: true,
                    meaning: "the GWP set (SAR, TAR, AR4, AR5, AR6, AR6_fossil, AR6_non_fossil)",
                },
                note,
            ],
            Kind::Gwp => vec![note],
            Kind::Energy => vec![
                q("amount", true, "energy consumed E_m (a period amount or a rate)"),
                q(
                    "fold",
                    true,
                    "standard-coal folding coefficient (tce per unit of amount)",
                ),
                q("factor", true, "emission factor (e.g. tCO2/tce)"),
                land,
                note,
            ],
            Kind::Transport => vec![
                q("amount", true, "energy consumed by vehicles E_s"),
                q("fold", true, "standard-coal folding coefficient"),
                q("factor", true, "emission factor (e.g. tCO2/tce)"),
                q("excluded", true, "B_s of Eq. 4: the share excluded"),
                land,
                note,
            ],
            Kind::Gas => vec![
                q(
                    "amount",
                    false,
                    "mass of gas released (tCH4, tCO2, … per period or per year)",
                ),
                q("volume", false, "volume of gas released"),
                q("density", false, "density of the gas (mass of substance per volume)"),
                q("gwp", false, "GWP override (tCO2e per tonne of substance)"),
                group,
                land,
                note,
            ],
            Kind::Emission => vec![
                q("amount", true, "greenhouse gas emitted (per period or per year)"),
                group,
                land,
                note,
            ],
            Kind::Cover => vec![
                q("area", true, "area S (Eq. 10–12)"),
                q("density", true, "carbon density Cρ (stock per area)"),
                method,
                q("increment", false, "annual carbon gain per area (method gain)"),
                q("previous", false, "earlier carbon density (method stock_difference)"),
                q(
                    "interval",
                    false,
                    "years between the two densities (method stock_difference)",
                ),
                ecosystem,
                note,
            ],
            Kind::Stand => vec![
                q("area", true, "afforested area S_i (Eq. 8)"),
                q("volume", true, "unit volume V_i (Eq. 9)"),
                q("a", true, "intercept a of B = a + b·V (Eq. 9)"),
                q("b", true, "slope b of B = a + b·V (Eq. 9)"),
                q("carbon", true, "carbon content rate Cρ_i (Eq. 8)"),
                q("soil", false, "soil carbon density Cρ_s (Eq. 8)"),
                method,
                q("increment", false, "annual carbon gain per area (method gain)"),
                q("previous", false, "earlier carbon density (method stock_difference)"),
                q(
                    "interval",
                    false,
                    "years between the two densities (method stock_difference)",
                ),
                note,
            ],
            Kind::Capture => vec![
                q("amount", true, "CO2 captured and stored (per period or per year)"),
                note,
            ],
            Kind::Removal => vec![
                q("amount", true, "greenhouse gas removed (per period or per year)"),
                note,
            ],
            Kind::Range => vec![
                FieldSpec {
                    name: "applies",
                    ty: FieldType::Target,
                    required: true,
                    meaning: "the field checked, as kind.field (e.g. stand.carbon)",
                },
                q("min", false, "smallest plausible value"),
                q("max", false, "largest plausible value"),
                note,
            ],
            Kind::Offset => vec![
                q("sold", false, "offsets sold, C_S"),
                q("purchased", false, "offsets purchased, C_c"),
                note,
            ],
            // Its fields are its template's (names::kinds).
            Kind::User(_) => vec![],
        }
    }
}
