#!/usr/bin/env python3
# Emulate the library's kinds with lets, to check dimensions and figures with the
# real evaluator before kinds exist. Usage: emul.py LIBRARY TEST > out.carbon
import re, sys
lib = open(sys.argv[1]).read(); test = open(sys.argv[2]).read()
GAS = {'wastewater':'CH4','grid_power':'CO2','fuel_ndrc':'CO2','mine_methane':'CH4','landfill':'CH4','soil_n2o':'N2O','forest_growth':'CO2'}
kinds = {}
emulated = set()
out_lib = []
skip = None
for line in lib.splitlines():
    m = re.match(r'^kind (\w+)', line)
    if m: skip = m.group(1); kinds[skip] = {'fields':{}, 'words':set(), 'values':[], 'terms':[]}; continue
    if skip:
        if line.startswith('}'): skip = None; continue
        k = kinds[skip]; s = line.strip()
        m = re.match(r'field (\w+)(\?)?\s*:\s*([^="]*?)\s*(?:=\s*([^"]*?))?\s*(?:"|$)', s)
        if m:
            name, opt, shape, default = m.groups()
            if shape.startswith('one of'): k['words'].add(name)
            k['fields'][name] = (default.strip() if default else None)
            continue
        m = re.match(r'value (\w+)\s*(?::[^=]*)?=\s*([^"]*)', s)
        if m:
            g = re.search(r'\bwhen (.*)$', s)
            pv = re.search(r'\bfrom \w+', re.sub(r'"[^"]*"', '""', s)) or re.search(r'\bassumed "[^"]*"', s)
            k['values'].append((m.group(1), m.group(2).strip(), g.group(1) if g else None, pv.group(0) if pv else '')); continue
        m = re.match(r'group (\w+)(?:\s+when (.*?))?\s*(?:;|$)', s) or re.search(r'; group (\w+)(?:\s+when ([^;]*?))?\s*(?:;|$)', s)
        for gm in re.finditer(r'(?:^|;\s*)group (\w+)(?:\s+when ([^;]*?))?\s*(?=;|$)', s):
            k.setdefault('groups', []).append((gm.group(1), gm.group(2)))
        m = re.match(r'term (.*?)\s*"', s)
        if m:
            g = re.search(r'\bwhen (.*)$', s)
            k['terms'].append((m.group(1), g.group(1) if g else None)); continue
        continue
    out_lib.append(line)
print('\n'.join(out_lib))
# the test without its uses
body = test
gwpset = re.search(r'gwp (\w+)', test).group(1)
def strip_prov(v):
    v = re.sub(r'\s+from \w+(\s*,\s*\w+)*\s*$', '', v)
    v = re.sub(r'\s+assumed "[^"]*"\s*$', '', v)
    return v.strip()
for m in re.finditer(r'^(\w+) (\w+) \{(.*?)\}', test, re.S | re.M):
    kind, use, items = m.groups()
    if kind not in kinds: continue
    body = body.replace(m.group(0), '')
    K = kinds[kind]; given = {}
    for it in re.findall(r'(?:[^;\n"]|"[^"]*")+', items):
        it = it.strip()
        if not it: continue
        f, rest = it.split(None, 1); given[f] = re.sub(r'\s*//.*$', '', rest).strip()
    words = {f: given.get(f, K['fields'][f]) for f in K['words']}
    names = set(K['fields']) | {v[0] for v in K['values']}
    def sub(e):
        return re.sub(r'(?<![\w.])([A-Za-z_]\w*)(?!\w)', lambda mm: f'{use}__{mm.group(1)}' if mm.group(1) in names and mm.group(1) not in K['words'] else mm.group(1), e)
    def holds(g):
        if not g: return True
        for c in g.split(','):
            c = c.strip()
            if '=' in c:
                f, w = [x.strip() for x in c.split('=')]
                if words.get(f) != w: return False
            elif c not in given: return False
        return True
    print(f'// ---- {kind} {use}')
    for f, d in K['fields'].items():
        if f in K['words']: continue
        v = given.get(f, d)
        if v is not None: print(f'let {use}__{f} = {v}' + ('' if f in given else ' assumed "the kind\'s default"'))
    done = set()
    for (v, e, g, pv) in K['values']:
        if v in done or not holds(g): continue
        done.add(v); print(f'let {use}__{v} = {sub(e)} {pv}')
    for (e, g) in K['terms']:
        if holds(g):
            e = re.sub(r'co2e\((.*)\)$', lambda mm: f'({mm.group(1)}) * {gwpset}.{GAS[kind]}', e)
            e = re.sub(r'per_period\((\w+)\)', r'\1', e)
            print(f'let {use}__TERM = {sub(e)}'); break
    grp = next(g for g, c in K.get('groups', []) if holds(c))
    if grp == 'sinks': print(f'removal {use} {{ amount {use}__TERM }}')
    else: print(f'emission {use} {{ amount {use}__TERM; group {grp} }}')
    emulated.add(use)
print(body)
for m in re.finditer(r'^// expect: (\w+)(?:\.(\w+))? = (\S+) (\S+) within (\S+) %', test, re.M):
    use, v, num, unit, tol = m.groups()
    name = f'{use}__{v}' if v and use in emulated else (f'{use}.{v}' if v else use)
    print(f'expect {name} == {num} {unit} within {tol} % assumed "hand calculation in the program header"')
