#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that the YNL spec (Documentation/netlink/specs/nflb.yaml) and the
uAPI header (uapi/linux/nflb.h) agree on every name and value.

Usage: check-spec.py [--ktap] [SPEC [HEADER]]
Exit 0 if they agree, 1 if not (2: cannot read or parse the inputs).

Mapping rules (spec -> header), mechanical, as YNL's genetlink-c level renders
them; cname(x) = x.upper() with '-' -> '_':

  family      define <c-family-name> == "<name>";
              define <c-version-name> == <version> (default 1).
  mcast group define <c-define-name> (default NFLB_MCGRP_<NAME>) == "<name>".
  const       define cname(<family>-<name>) == <value>.  A const "X-all" for
              which a flags definition with name-prefix "<family>-X-" exists
              must equal the OR of all its flags.
  enum        enum <enum-name> (default <family>_<name>, dashes -> '_');
              entry cname(<name-prefix><entry>) (default prefix
              "<family>-<name>-") == <value-start> (default 0) + index, or
              its explicit value.  render-max: the enum ends with __M and
              M = __M - 1, where M is cname(<name-prefix>max) or
              upper(<enum-name>)_MAX.
  flags       as enum, but entry value == 1 << (<value-start> + index).
  attr set    enum <enum-name> (default <family>_<set>_attr); attribute
              cname(<name-prefix><attr>) (default prefix "<family>-<set>-a-")
              == previous + 1 (first: 1), or its explicit value ("unspec",
              type unused, value 0, stands for the header's *_UNSPEC); the
              enum ends with <attr-cnt-name> = last + 1 and <attr-max-name> =
              last (defaults __cname(<prefix>max) and cname(<prefix>max)).
  operations  enum <enum-name> (default <family>_cmd); value 0 is
              cname(<name-prefix>unspec) (default prefix "<family>-cmd-");
              op cname(<name-prefix><op>) == previous + 1 (first 1) or its
              explicit value; the enum ends with <cmd-cnt-name> = last + 1
              and <cmd-max-name> = last.

Besides names and values it checks: attribute types against the header's
comments where a comment states one (string, be32 -> u32 big-endian with
display-hint ipv4, "16 bytes" -> binary with display-hint ipv6, u8..u64,
"nest, enum X" -> nest whose set has enum-name X, "u32, enum X" -> enum whose
enum-name is X); references (nested-attributes, enum, flags-mask, operation
attribute sets and attributes, mcgrp); the keys allowed at each level of the
genetlink-c schema; and that every enum and define of the header is covered.
"""
import re
import sys

try:
    import yaml
except ImportError:
    print("check-spec: python3 yaml module missing (Debian: python3-yaml)",
          file=sys.stderr)
    sys.exit(4)


def cname(s):
    return s.upper().replace('-', '_')


# ---------------------------------------------------------------------------
# Header parsing

def strip_block_comments(text):
    return re.sub(r'/\*.*?\*/', lambda m: ' ' * 0, text, flags=re.S)


def eval_expr(expr, env):
    """Evaluate a C integer expression using known identifiers."""
    e = expr.strip()
    e = re.sub(r'\b(\d+)[uUlL]+\b', r'\1', e)

    def sub(m):
        name = m.group(0)
        if name not in env or not isinstance(env[name], int):
            raise ValueError('unknown identifier %s' % name)
        return '(%d)' % env[name]
    e = re.sub(r'\b[A-Za-z_]\w*\b', sub, e)
    if not re.fullmatch(r'[\d\s()<>|&+\-*~^]+', e):
        raise ValueError('unsupported expression %r' % expr)
    return int(eval(e, {'__builtins__': {}}, {}))


def parse_header(path):
    raw = open(path).read()
    defines = {}       # name -> int or str
    enums = {}         # enum name -> list of (name, value, comment)
    env = {}

    # Enums, with the comment that follows each enumerator on its line.
    for m in re.finditer(r'\benum\s+(\w+)\s*\{(.*?)\}\s*;', raw, re.S):
        ename, body = m.group(1), m.group(2)
        entries = []
        nextval = 0
        in_comment = False
        pending = None      # enumerator whose trailing comment may follow
        for line in body.split('\n'):
            code, comment = '', ''
            rest = line
            while rest:
                if in_comment:
                    end = rest.find('*/')
                    if end < 0:
                        comment += rest
                        rest = ''
                    else:
                        comment += rest[:end]
                        rest = rest[end + 2:]
                        in_comment = False
                else:
                    start = rest.find('/*')
                    if start < 0:
                        code += rest
                        rest = ''
                    else:
                        code += rest[:start]
                        rest = rest[start + 2:]
                        in_comment = True
            for item in code.split(','):
                item = item.strip()
                if not item:
                    continue
                mm = re.fullmatch(r'([A-Za-z_]\w*)\s*(?:=\s*(.+))?', item, re.S)
                if not mm:
                    raise ValueError('%s: cannot parse enumerator %r' % (ename, item))
                name, expr = mm.group(1), mm.group(2)
                val = eval_expr(expr, env) if expr else nextval
                env[name] = val
                nextval = val + 1
                pending = [name, val, '']
                entries.append(pending)
            if pending is not None and code.strip() and comment:
                pending[2] = comment.strip()
            if pending is not None and not code.strip():
                pending = None  # comment on its own line: not a trailing one
        enums[ename] = [tuple(e) for e in entries]

    # Defines (with continuation lines), evaluated in order.
    text = strip_block_comments(raw).replace('\\\n', ' ')
    for line in text.split('\n'):
        m = re.match(r'\s*#\s*define\s+([A-Za-z_]\w*)(?!\()\s*(.*)$', line)
        if not m:
            continue
        name, val = m.group(1), m.group(2).strip()
        if not val:
            continue        # include guard
        if val.startswith('"'):
            defines[name] = val.strip('"')
        else:
            defines[name] = eval_expr(val, env)
            env[name] = defines[name]
    return enums, defines


# ---------------------------------------------------------------------------
# Allowed keys of the genetlink-c schema (Documentation/netlink/genetlink-c.yaml)

TOP_KEYS = {'name', 'doc', 'protocol', 'uapi-header', 'c-family-name',
            'c-version-name', 'max-by-define', 'cmd-max-name', 'cmd-cnt-name',
            'definitions', 'attribute-sets', 'operations', 'mcast-groups'}
DEF_KEYS = {'name', 'header', 'type', 'doc', 'value', 'value-start', 'entries',
            'render-max', 'enum-name', 'name-prefix'}
ENTRY_KEYS = {'name', 'value', 'doc'}
SET_KEYS = {'name', 'name-prefix', 'enum-name', 'doc', 'subset-of',
            'attr-cnt-name', 'attr-max-name', 'attributes'}
ATTR_KEYS = {'name', 'type', 'doc', 'value', 'type-value', 'byte-order',
             'multi-attr', 'nested-attributes', 'enum', 'enum-as-flags',
             'checks', 'sub-type', 'display-hint', 'name-prefix'}
ATTR_TYPES = {'unused', 'pad', 'flag', 'binary', 'uint', 'sint', 'u8', 'u16',
              'u32', 'u64', 's32', 's64', 'string', 'nest', 'array-nest',
              'nest-type-value'}
CHECK_KEYS = {'flags-mask', 'min', 'max', 'min-len', 'max-len', 'exact-len'}
OPS_KEYS = {'enum-model', 'name-prefix', 'enum-name', 'async-prefix',
            'async-enum', 'list'}
OP_KEYS = {'name', 'doc', 'value', 'attribute-set', 'flags', 'dont-validate',
           'config-cond', 'do', 'dump', 'notify', 'event', 'mcgrp'}
SUBOP_KEYS = {'request', 'reply', 'pre', 'post'}
MCGRP_KEYS = {'name', 'c-define-name', 'flags'}
HINTS = {'hex', 'mac', 'fddi', 'ipv4', 'ipv6', 'uuid'}


class Checker:
    def __init__(self, spec, enums, defines):
        self.spec = spec
        self.enums = enums
        self.defines = defines
        self.family = spec.get('name', '')
        self.used_enums = set()
        self.used_defines = set()
        self.results = []       # (description, [errors])

    def run(self, desc, fn, *args):
        errs = []
        try:
            fn(errs, *args)
        except Exception as e:  # a malformed spec must fail, not crash
            errs.append('exception: %r' % (e,))
        self.results.append((desc, errs))

    # -- helpers --
    def compare_enum(self, errs, ename, expected):
        """expected: list of (C name, value)."""
        if ename not in self.enums:
            errs.append('enum %s not in the header' % ename)
            return None
        self.used_enums.add(ename)
        actual = [(n, v) for n, v, _ in self.enums[ename]]
        if actual != expected:
            an = dict(actual)
            en = dict(expected)
            for n, v in expected:
                if n not in an:
                    errs.append('%s: %s (= %d) missing from the header' % (ename, n, v))
                elif an[n] != v:
                    errs.append('%s: %s is %d in the header, %d in the spec' %
                                (ename, n, an[n], v))
            for n, v in actual:
                if n not in en:
                    errs.append('%s: header has %s (= %d) that the spec lacks' %
                                (ename, n, v))
            if not errs:
                errs.append('%s: order differs: header %s, spec %s' %
                            (ename, [n for n, _ in actual], [n for n, _ in expected]))
        return dict((n, c) for n, _, c in self.enums[ename])

    def keys(self, errs, obj, allowed, where, required=()):
        if not isinstance(obj, dict):
            errs.append('%s: expected a mapping' % where)
            return
        for k in obj:
            if k not in allowed:
                errs.append('%s: unknown key "%s"' % (where, k))
        for k in required:
            if k not in obj:
                errs.append('%s: missing key "%s"' % (where, k))

    # -- checks --
    def check_structure(self, errs):
        s = self.spec
        self.keys(errs, s, TOP_KEYS, 'top level',
                  ('name', 'doc', 'attribute-sets', 'operations'))
        if s.get('protocol', 'genetlink') not in ('genetlink', 'genetlink-c'):
            errs.append('protocol must be genetlink or genetlink-c')
        for d in s.get('definitions', []):
            where = 'definition %s' % d.get('name')
            self.keys(errs, d, DEF_KEYS, where, ('name', 'type'))
            if d.get('type') not in ('const', 'enum', 'flags'):
                errs.append('%s: bad type %r' % (where, d.get('type')))
            for e in d.get('entries', []):
                if isinstance(e, dict):
                    self.keys(errs, e, ENTRY_KEYS, where + ' entry', ('name',))
        sets = {a.get('name'): a for a in s.get('attribute-sets', [])}
        defs = {d.get('name'): d for d in s.get('definitions', [])}
        for aset in s.get('attribute-sets', []):
            where = 'attribute-set %s' % aset.get('name')
            self.keys(errs, aset, SET_KEYS, where, ('name', 'attributes'))
            for a in aset.get('attributes', []):
                aw = '%s attribute %s' % (where, a.get('name'))
                self.keys(errs, a, ATTR_KEYS, aw, ('name', 'type'))
                if a.get('type') not in ATTR_TYPES:
                    errs.append('%s: bad type %r' % (aw, a.get('type')))
                if a.get('byte-order', 'big-endian') not in ('big-endian', 'little-endian'):
                    errs.append('%s: bad byte-order' % aw)
                if 'display-hint' in a and a['display-hint'] not in HINTS:
                    errs.append('%s: bad display-hint' % aw)
                if a.get('type') == 'nest' and a.get('nested-attributes') not in sets:
                    errs.append('%s: nested-attributes %r is not an attribute set' %
                                (aw, a.get('nested-attributes')))
                if 'enum' in a and defs.get(a['enum'], {}).get('type') not in ('enum', 'flags'):
                    errs.append('%s: enum %r is not an enum definition' % (aw, a['enum']))
                if 'checks' in a:
                    self.keys(errs, a['checks'], CHECK_KEYS, aw + ' checks')
                    fm = a['checks'].get('flags-mask')
                    if fm is not None and defs.get(fm, {}).get('type') != 'flags':
                        errs.append('%s: flags-mask %r is not a flags definition' % (aw, fm))
        ops = s.get('operations', {})
        self.keys(errs, ops, OPS_KEYS, 'operations', ('list',))
        groups = {g.get('name') for g in s.get('mcast-groups', {}).get('list', [])}
        for op in ops.get('list', []):
            where = 'operation %s' % op.get('name')
            self.keys(errs, op, OP_KEYS, where, ('name', 'doc'))
            aset = sets.get(op.get('attribute-set'))
            if op.get('attribute-set') is not None and aset is None:
                errs.append('%s: unknown attribute-set %r' % (where, op.get('attribute-set')))
            names = {a.get('name') for a in (aset or {}).get('attributes', [])}
            lists = []
            for kind in ('do', 'dump'):
                if kind in op:
                    sub = op[kind] or {}
                    self.keys(errs, sub, SUBOP_KEYS, '%s %s' % (where, kind))
                    for part in ('request', 'reply'):
                        if part in sub:
                            self.keys(errs, sub[part], {'attributes'},
                                      '%s %s %s' % (where, kind, part))
                            lists.append(sub[part].get('attributes', []))
            if 'event' in op:
                self.keys(errs, op['event'], {'attributes'}, where + ' event')
                lists.append(op['event'].get('attributes', []))
            for lst in lists:
                for n in lst:
                    if n not in names:
                        errs.append('%s: attribute %r not in set %r' %
                                    (where, n, op.get('attribute-set')))
            if 'mcgrp' in op and op['mcgrp'] not in groups:
                errs.append('%s: unknown mcgrp %r' % (where, op['mcgrp']))
            for f in op.get('flags', []):
                if f != 'admin-perm':
                    errs.append('%s: bad flag %r' % (where, f))
        for g in s.get('mcast-groups', {}).get('list', []):
            self.keys(errs, g, MCGRP_KEYS, 'mcast group %s' % g.get('name'), ('name',))

    def define_eq(self, errs, name, value, what):
        self.used_defines.add(name)
        if name not in self.defines:
            errs.append('%s: define %s not in the header' % (what, name))
        elif self.defines[name] != value:
            errs.append('%s: %s is %r in the header, %r in the spec' %
                        (what, name, self.defines[name], value))

    def check_family(self, errs):
        s = self.spec
        self.define_eq(errs, s.get('c-family-name', cname(self.family) + '_FAMILY_NAME'),
                       self.family, 'family name')
        self.define_eq(errs, s.get('c-version-name', cname(self.family) + '_FAMILY_VERSION'),
                       s.get('version', 1), 'family version')

    def check_mcast(self, errs):
        for g in self.spec.get('mcast-groups', {}).get('list', []):
            name = g.get('c-define-name', cname('%s-mcgrp-%s' % (self.family, g['name'])))
            self.define_eq(errs, name, g['name'], 'mcast group %s' % g['name'])

    def check_definition(self, errs, d):
        t = d['type']
        if t == 'const':
            self.define_eq(errs, cname('%s-%s' % (self.family, d['name'])), d['value'],
                           'const %s' % d['name'])
            if d['name'].endswith('-all'):
                pfx = '%s-%s' % (self.family, d['name'][:-3])
                for f in self.spec.get('definitions', []):
                    if f.get('type') == 'flags' and f.get('name-prefix') == pfx:
                        mask = 0
                        for i, e in enumerate(f['entries']):
                            mask |= self.entry_value(f, i, e)
                        if mask != d['value']:
                            errs.append('const %s is %d, the OR of %s is %d' %
                                        (d['name'], d['value'], f['name'], mask))
            return
        ename = d.get('enum-name') or '%s_%s' % (self.family, d['name'].replace('-', '_'))
        prefix = d.get('name-prefix', '%s-%s-' % (self.family, d['name']))
        expected = []
        for i, e in enumerate(d.get('entries', [])):
            name = e['name'] if isinstance(e, dict) else e
            expected.append((cname(prefix + name), self.entry_value(d, i, e)))
        if d.get('render-max'):
            actual = self.enums.get(ename, [])
            if len(actual) >= 2:
                cnt, mx = actual[-2][0], actual[-1][0]
                allowed = {cname(prefix + 'max'), ename.upper() + '_MAX'}
                if mx not in allowed or cnt != '__' + mx:
                    errs.append('%s: max entries are %s, %s; expected __M, M with M in %s' %
                                (ename, cnt, mx, sorted(allowed)))
                expected += [(cnt, len(expected)), (mx, len(expected) - 1)]
        self.compare_enum(errs, ename, expected)

    def entry_value(self, d, i, e):
        if isinstance(e, dict) and 'value' in e:
            return e['value']
        start = d.get('value-start', 0)
        return (1 << (start + i)) if d['type'] == 'flags' else start + i

    def check_set(self, errs, aset):
        defs = {d['name']: d for d in self.spec.get('definitions', [])}
        sets = {a['name']: a for a in self.spec.get('attribute-sets', [])}
        ename = aset.get('enum-name') or '%s_%s_attr' % (self.family, aset['name'].replace('-', '_'))
        prefix = aset.get('name-prefix', '%s-%s-a-' % (self.family, aset['name']))
        expected = []
        val = 0
        for a in aset['attributes']:
            val = a.get('value', val + 1 if expected else 1)
            expected.append((cname(prefix + a['name']), val))
        expected.append((aset.get('attr-cnt-name', '__' + cname(prefix + 'max')), val + 1))
        expected.append((aset.get('attr-max-name', cname(prefix + 'max')), val))
        comments = self.compare_enum(errs, ename, expected)
        if comments is None:
            return
        # Types against the header's comments.
        for a in aset['attributes']:
            c = comments.get(cname(prefix + a['name']), '')
            self.check_type(errs, ename, a, c, defs, sets)

    def check_type(self, errs, ename, a, comment, defs, sets):
        where = '%s: %s' % (ename, a['name'])
        t = a.get('type')
        c = comment.lower()
        first = re.split(r'[,\s]', c.strip(), 1)[0] if c.strip() else ''
        if a['name'] == 'pad' and t != 'pad':
            errs.append('%s: type %s, expected pad' % (where, t))
        if a['name'] == 'unspec' and (t != 'unused' or a.get('value') != 0):
            errs.append('%s: expected type unused, value 0' % where)
        if not c:
            return
        if first == 'string' and t != 'string':
            errs.append('%s: header says string, spec %s' % (where, t))
        elif first == 'be32':
            if t != 'u32' or a.get('byte-order') != 'big-endian':
                errs.append('%s: header says be32, spec %s %s' % (where, t, a.get('byte-order')))
            if a['name'].endswith('4') and a.get('display-hint') != 'ipv4':
                errs.append('%s: IPv4 address without display-hint ipv4' % where)
        elif c.startswith('16 bytes'):
            if t != 'binary':
                errs.append('%s: header says 16 bytes, spec %s' % (where, t))
            if a.get('display-hint') != 'ipv6':
                errs.append('%s: IPv6 address without display-hint ipv6' % where)
        elif first in ('u8', 'u16', 'u32', 'u64') and t != first:
            errs.append('%s: header says %s, spec %s' % (where, first, t))
        elif first == 'nest' and t != 'nest':
            errs.append('%s: header says nest, spec %s' % (where, t))
        m = re.match(r'\s*(?:u8|u16|u32|nest)\s*,\s*enum\s+(\w+)', comment)
        if m:
            want = m.group(1)
            if t == 'nest':
                got = sets.get(a.get('nested-attributes'), {}).get('enum-name')
                if got != want:
                    errs.append('%s: header nests %s, spec nests set with enum %s' %
                                (where, want, got))
            else:
                got = defs.get(a.get('enum'), {}).get('enum-name')
                if got != want:
                    errs.append('%s: header uses enum %s, spec %s' % (where, want, got))

    def check_ops(self, errs):
        ops = self.spec['operations']
        ename = ops.get('enum-name') or '%s_cmd' % self.family
        prefix = ops.get('name-prefix', '%s-cmd-' % self.family)
        expected = [(cname(prefix + 'unspec'), 0)]
        val = 0
        for op in ops['list']:
            val = op.get('value', val + 1)
            expected.append((cname(prefix + op['name']), val))
        expected.append((self.spec.get('cmd-cnt-name', '__' + cname(prefix + 'max')), val + 1))
        expected.append((self.spec.get('cmd-max-name', cname(prefix + 'max')), val))
        self.compare_enum(errs, ename, expected)

    def check_coverage(self, errs):
        for e in self.enums:
            if e not in self.used_enums:
                errs.append('header enum %s is not described by the spec' % e)
        for d in self.defines:
            if d not in self.used_defines:
                errs.append('header define %s is not described by the spec' % d)

    def check_all(self):
        s = self.spec
        self.run('spec structure and references', self.check_structure)
        self.run('family name and version', self.check_family)
        for d in s.get('definitions', []):
            self.run('definition %s %s' % (d.get('type'), d.get('name')),
                     self.check_definition, d)
        for aset in s.get('attribute-sets', []):
            self.run('attribute-set %s' % aset.get('name'), self.check_set, aset)
        self.run('operations', self.check_ops)
        self.run('mcast groups', self.check_mcast)
        self.run('every header enum and define is in the spec', self.check_coverage)
        return self.results


def main(argv):
    ktap = False
    args = []
    for a in argv[1:]:
        if a == '--ktap':
            ktap = True
        elif a in ('-h', '--help'):
            print(__doc__)
            return 0
        else:
            args.append(a)
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec_path = args[0] if len(args) > 0 else os.path.join(root, 'Documentation/netlink/specs/nflb.yaml')
    hdr_path = args[1] if len(args) > 1 else os.path.join(root, 'uapi/linux/nflb.h')
    try:
        spec = yaml.safe_load(open(spec_path))
        enums, defines = parse_header(hdr_path)
    except Exception as e:
        print('check-spec: %s' % e, file=sys.stderr)
        return 2
    if not isinstance(spec, dict):
        print('check-spec: %s: not a YAML mapping' % spec_path, file=sys.stderr)
        return 2
    results = Checker(spec, enums, defines).check_all()
    failed = 0
    if ktap:
        print('TAP version 13')
        print('1..%d' % len(results))
    for i, (desc, errs) in enumerate(results, 1):
        if errs:
            failed += 1
        if ktap:
            for e in errs:
                print('# %s' % e)
            print('%sok %d %s' % ('not ' if errs else '', i, desc))
        else:
            for e in errs:
                print('%s: %s' % (desc, e), file=sys.stderr)
    if not ktap:
        print('check-spec: %d checks, %d failed' % (len(results), failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
