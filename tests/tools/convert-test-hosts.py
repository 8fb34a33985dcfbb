#!/usr/bin/env python3
"""Rewrites tests written against the four old environment classes (ProxyEnvironment, NamedProxyEnvironment,
AppMountEnvironment, FailoverEnvironment) to ProxyHostBuilder / ProxyTestHost, in place.

    python3 tests/tools/convert-test-hosts.py tests/AzureFunctionsInvoker.Tests/Integration/SomeTests.cs ...

It is mechanical: each StartAsync call becomes the builder chain with the same arguments, the static helpers move to
their new homes, and the host's renamed members follow (ProxyPort -> Port, Configure -> Reload, the app mount's
Reload(json) -> ReloadJson, the named functions' Reload(name, key, value) -> Reload("Functions:name:key", value)).
Build afterwards: anything it cannot read is left as it was and the compiler names it.
"""
import re
import sys

PARAMS = {
    'ProxyEnvironment.StartAsync': ['functionName', 'configure', 'configureProxy', 'configurePipeline', 'functionCertificate', 'http2Caller', 'keepLogs'],
    'NamedProxyEnvironment.StartAsync': ['functions', 'mount', 'configureServices'],
    'AppMountEnvironment.StartAsync': ['configuration', 'mount', 'register', 'certificate', 'protocols'],
    'FailoverEnvironment.StartAsync': ['regions', 'settings', 'configureServices'],
    'FailoverEnvironment.StartAppMountAsync': ['regions', 'settings', 'configureServices'],
}


def split_args(text, start):
    """The arguments of the call whose '(' is at text[start], and the index after its ')'."""
    args, depth, i, current = [], 0, start + 1, start + 1
    while i < len(text):
        c = text[i]
        if c == '"' or (c in '$@' and i + 1 < len(text) and text[i + 1] in '"$@'):
            i = skip_string(text, i)
            continue
        if c == "'":
            i = text.index("'", i + 3 if text[i + 1] == '\\' else i + 2) + 1
            continue
        if c == '/' and text[i + 1] == '/':
            i = text.index('\n', i)
            continue
        if c == '<' and (end := generic_end(text, i)) is not None:
            i = end
            continue
        if c in '([{':
            depth += 1
        elif c in ')]}':
            if depth == 0:
                last = text[current:i]
                if last.strip():
                    args.append(last)
                return args, i + 1
            depth -= 1
        elif c == ',' and depth == 0:
            args.append(text[current:i])
            current = i + 1
        i += 1
    raise ValueError('unbalanced call')


def generic_end(text, i):
    """The index after the type argument list opening at text[i] ('<' right after a type's name), or None."""
    if not re.match(r'\w', text[i - 1]):
        return None
    depth = 0
    for j in range(i, len(text)):
        c = text[j]
        if c == '<':
            depth += 1
        elif c == '>':
            depth -= 1
            if depth == 0:
                return j + 1
        elif not (c.isalnum() or c in ' _,.?[]'):
            return None
    return None


def skip_string(text, i):
    prefix = ''
    while text[i] in '$@':
        prefix += text[i]
        i += 1
    if text.startswith('"""', i):
        end = text.index('"""', i + 3)
        return end + 3
    i += 1
    verbatim, interpolated, depth = '@' in prefix, '$' in prefix, 0
    while True:
        c = text[i]
        if interpolated and c == '{':
            if text[i + 1] == '{' and depth == 0:
                i += 2
                continue
            depth += 1
        elif interpolated and c == '}' and depth > 0:
            depth -= 1
        elif c == '"' and depth > 0:
            i = skip_string(text, i)
            continue
        elif c == '\\' and not verbatim and depth == 0:
            i += 2
            continue
        elif c == '"' and depth == 0:
            if verbatim and text[i + 1] == '"':
                i += 2
                continue
            return i + 1
        i += 1


def named(call, args):
    """The call's arguments by parameter name, stripped."""
    out, names = {}, PARAMS[call]
    for position, arg in enumerate(args):
        m = re.match(r'\s*([A-Za-z0-9_]+)\s*:(?!:)\s*(.*)$', arg, re.S)
        if m and m.group(1) in names and not arg.lstrip().startswith(('new', '(')):
            out[m.group(1)] = m.group(2).strip()
        else:
            out[names[position]] = arg.strip()
    return out


def chain(call, a):
    parts = ['new ProxyHostBuilder()']
    if call == 'ProxyEnvironment.StartAsync':
        parts.append(f".MountFunction({a['functionName']}" + (f", {a['configure']})" if 'configure' in a else ')'))
        if 'functionCertificate' in a:
            parts.append(f".WithStandInCertificate({a['functionCertificate']})")
        if a.get('http2Caller', 'false') == 'true':
            parts.append('.WithProtocols(HttpProtocols.Http2)')
        elif 'http2Caller' in a and a['http2Caller'] != 'false':
            parts.append(f".WithProtocols({a['http2Caller']} ? HttpProtocols.Http2 : HttpProtocols.Http1)")
        if a.get('keepLogs', 'true') == 'false':
            parts.append('.KeepingNoLogs()')
        elif 'keepLogs' in a and a['keepLogs'] != 'true':
            raise ValueError('keepLogs: ' + a['keepLogs'])
        add(parts, 'ConfigureServices', a.get('configureProxy'))
        add(parts, 'ConfigurePipeline', a.get('configurePipeline'))
    elif call == 'NamedProxyEnvironment.StartAsync':
        parts.append(f".AddNamedFunctions({a['functions']})")
        add(parts, 'ConfigurePipeline', a['mount'])
        add(parts, 'ConfigureServices', a.get('configureServices'))
    elif call == 'AppMountEnvironment.StartAsync':
        parts.append(f".AddAppMount({a['configuration']}" + (f", {a['register']})" if 'register' in a else ')'))
        add(parts, 'ConfigurePipeline', a['mount'])
        if 'certificate' in a:
            parts.append(f".WithStandInCertificate({a['certificate']})")
        if 'protocols' in a:
            parts.append(f".WithProtocols({a['protocols']})")
    else:
        parts.append(f".WithRegions({a['regions']})")
        parts.append('.WithClock()')
        mount = 'MountBackends' if call.endswith('.StartAsync') else 'MountAppMountBackends'
        parts.append(f".{mount}({a.get('settings', '')})")
        add(parts, 'ConfigureServices', a.get('configureServices'))
    return parts + ['.StartAsync()']


def layout(parts, text, start):
    """The chain on one line when short, else one call a line under the statement, multi-line arguments re-indented."""
    line_start = text.rfind('\n', 0, start) + 1
    indent = len(text[line_start:]) - len(text[line_start:].lstrip(' '))
    one_line = ''.join(parts)
    if '\n' not in one_line and (start - line_start) + len(one_line) <= 150:
        return one_line
    inner = ' ' * (indent + 4)
    lines = [parts[0]]
    for part in parts[1:]:
        rows = part.split('\n')
        continuation = [r for r in rows[1:] if r.strip()]
        shift = len(inner) - min((len(r) - len(r.lstrip(' ')) for r in continuation), default=len(inner))
        rows = [rows[0]] + [(' ' * shift + r if shift >= 0 else r[-shift:]) if r.strip() else r for r in rows[1:]]
        lines.append(inner + '\n'.join(rows))
    return '\n'.join(lines)


def add(parts, method, value):
    if value is not None and value != 'null':
        parts.append(f'.{method}({value})')


def convert(text):
    if not re.search(r'\b(ProxyEnvironment|NamedProxyEnvironment|AppMountEnvironment|FailoverEnvironment)\b', text):
        return text
    pattern = re.compile(r'\b(' + '|'.join(re.escape(c) for c in PARAMS) + r')\(')
    out, i = [], 0
    while (m := pattern.search(text, i)) is not None:
        args, end = split_args(text, m.end() - 1)
        built = layout(chain(m.group(1), named(m.group(1), args)), text, m.start())
        out.append(text[i:m.start()])
        out.append(built)
        i = end
    out.append(text[i:])
    text = ''.join(out)

    for old, new in [
        ('AppMountEnvironment.Name', 'ProxyHostBuilder.AppMountName'),
        ('AppMountEnvironment.Root', 'ProxyHostBuilder.AppMountRoot'),
        ('AppMountEnvironment.SectionOf(', 'ProxyHostBuilder.AppMountSectionOf('),
        ('AppMountEnvironment.Section(', 'ProxyHostBuilder.AppMountSection('),
        ('FailoverEnvironment.AnsweredBy', 'StandInRegion.AnsweredBy'),
        ('FailoverEnvironment.Settings(', 'ProxyHostBuilder.BackendSettings('),
        ('FailoverEnvironment.AppMountSettings(', 'ProxyHostBuilder.AppMountBackendSettings('),
    ]:
        text = text.replace(old, new)
    text = re.sub(r'\b(NamedProxyEnvironment|ProxyEnvironment|AppMountEnvironment|FailoverEnvironment)\b', 'ProxyTestHost', text)
    text = re.sub(r'\.ProxyPort\b', '.Port', text)

    # The host's Reload: (json) of an app mount, (name, key, value) of a named function; Configure(data) of the failover host.
    out, i = [], 0
    for m in re.finditer(r'\b(\w+)\.(Reload|Configure)\(', text):
        if m.start() < i:
            continue
        args, end = split_args(text, m.end() - 1)
        receiver, method = m.group(1), m.group(2)
        if method == 'Configure' and len(args) == 1 and (receiver in ('env', 'host') or 'BackendSettings(' in args[0]):
            call = f'{receiver}.Reload({args[0].strip()})'
        elif method == 'Reload' and len(args) == 1:
            call = f'{receiver}.ReloadJson({args[0].strip()})'
        elif method == 'Reload' and len(args) == 3:
            name, key, value = (a.strip() for a in args)
            literal = [re.fullmatch(r'"[^"\\{}]*"', part) is not None for part in (name, key)]
            if all(literal):
                path = f'"Functions:{name[1:-1]}:{key[1:-1]}"'
            else:
                path = '$"Functions:' + ':'.join(p[1:-1] if lit else '{' + p + '}' for p, lit in zip((name, key), literal)) + '"'
            call = f'{receiver}.Reload({path}, {value})'
        else:
            continue
        out.append(text[i:m.start()])
        out.append(call)
        i = end
    out.append(text[i:])
    text = ''.join(out)

    if 'HttpProtocols.' in text and 'using Microsoft.AspNetCore.Server.Kestrel.Core;' not in text:
        text = add_using(text, 'Microsoft.AspNetCore.Server.Kestrel.Core')
    return text


def add_using(text, namespace):
    usings = list(re.finditer(r'^using [^;]+;\n', text, re.M))
    line = f'using {namespace};\n'
    for u in usings:
        if not u.group(0).startswith('using static') and u.group(0) > line:
            return text[:u.start()] + line + text[u.start():]
    end = usings[-1].end() if usings else 0
    return text[:end] + line + text[end:]


if __name__ == '__main__':
    for path in sys.argv[1:]:
        with open(path, encoding='utf-8', newline='') as f:
            original = f.read()
        converted = convert(original)
        if converted != original:
            with open(path, 'w', encoding='utf-8', newline='') as f:
                f.write(converted)
            print('converted', path)
