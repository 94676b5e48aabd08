//! The declaration forms built into the language (`inventory`, `gwp`, `range`)
//! and their fields, the groups of Eq. 1 and the parts of C_above; every other
//! kind is declared in the language (the prelude's in prelude/kinds.carbon).

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
    /// A plausible range for one field of one kind (the prelude states them).
    Range,
    /// A kind declared in the language (`kind forest { … }`), by its name; the
    /// kinds of the balance are declared in the prelude (prelude/kinds.carbon).
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
    /// The scope of a term: a plain number 1, 2 or 3 (a kind's `scope`).
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

impl Kind {
    /// The built-in declaration forms.
    pub const ALL: [Kind; 3] = [Kind::Inventory, Kind::Gwp, Kind::Range];

    pub fn word(self) -> &'static str {
        match self {
            Kind::Inventory => "inventory",
            Kind::Gwp => "gwp",
            Kind::Range => "range",
            Kind::User(w) => w.name(),
        }
    }

    /// The built-in declaration forms (`inventory`, `gwp`, `range`); the kinds
    /// of the balance are declared in the prelude (prelude/kinds.carbon).
    pub fn from_word(w: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.word() == w)
    }

    /// Field specifications of a built-in form. `Gwp` takes any substance name
    /// as a field; a declared kind's fields are its template's (names::kinds).
    pub fn fields(self) -> Vec<FieldSpec> {
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
                q("start", false, "the first year of an inventory over years"),
                q("end", false, "the last year reported of an inventory over years"),
                q("horizon", false, "the last year projected, after `end`"),
                q(
                    "saturation",
                    false,
                    "the share of their peak below which the sinks count as saturated",
                ),
                note,
            ],
            Kind::Gwp => vec![note],
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
            Kind::User(_) => vec![],
        }
    }
}
