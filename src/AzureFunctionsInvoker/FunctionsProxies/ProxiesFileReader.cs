using System.Text;
using System.Text.Json;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// Reads a <c>proxies.json</c> (the schema of json.schemastore.org/proxies) into <see cref="ProxyDefinition"/>s with
/// <see cref="Utf8JsonReader"/>: no reflection, so trimming and Native AOT keep it whole. Comments and trailing commas
/// are accepted, as the Functions host's reader accepted them. Every element is kept with its line; an element the
/// schema does not define is refused, since a misspelt <c>backendUri</c> would otherwise turn a proxy into a 200 mock.
/// </summary>
internal static class ProxiesFileReader
{
    private const string RequestPrefix = "backend.request.";
    private const string ResponsePrefix = "response.";

    private static readonly JsonReaderOptions s_options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The proxies of <paramref name="json"/>, in file order; <paramref name="file"/> is what messages call the file.</summary>
    /// <exception cref="ProxiesFileException">The text is no JSON, or not a proxies file.</exception>
    public static IReadOnlyList<ProxyDefinition> Read(ReadOnlySpan<byte> json, string file)
    {
        if (json.StartsWith(Encoding.UTF8.Preamble))
        {
            json = json[Encoding.UTF8.Preamble.Length..];
        }

        var lines = new LineCounter(json);
        var reader = new Utf8JsonReader(json, s_options);
        try
        {
            return ReadFile(ref reader, lines, file);
        }
        catch (JsonException e)
        {
            // Its message gives the position, never a value of the file.
            throw ProxiesFileException.At(file, null, null, (int)(e.LineNumber ?? -1) + 1, "not valid JSON: " + e.Message);
        }
    }

    private static List<ProxyDefinition> ReadFile(ref Utf8JsonReader reader, LineCounter lines, string file)
    {
        Expect(ref reader, JsonTokenType.StartObject, lines, file, null, null, "the file must be a JSON object with a 'proxies' object");
        List<ProxyDefinition>? proxies = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            var line = lines.LineOf(reader.TokenStartIndex);
            Next(ref reader);
            switch (name)
            {
                case "$schema":
                    reader.Skip();
                    break;
                case "proxies":
                    if (proxies is not null)
                    {
                        throw ProxiesFileException.At(file, null, "proxies", line, "'proxies' appears twice.");
                    }

                    proxies = ReadProxies(ref reader, lines, file, line);
                    break;
                default:
                    throw ProxiesFileException.At(file, null, name, line, "unknown element: a proxies file holds 'proxies' (and '$schema') only.");
            }
        }

        return proxies ?? throw ProxiesFileException.At(file, null, "proxies", 1, "the file has no 'proxies' object.");
    }

    private static List<ProxyDefinition> ReadProxies(ref Utf8JsonReader reader, LineCounter lines, string file, int line)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw ProxiesFileException.At(file, null, "proxies", line, "must be an object of proxies by name.");
        }

        var proxies = new List<ProxyDefinition>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var proxy = new ProxyDefinition(reader.GetString()!, lines.LineOf(reader.TokenStartIndex));
            if (!names.Add(proxy.Name))
            {
                throw ProxiesFileException.At(file, proxy.Name, null, proxy.Line, "a proxy of this name (in any case) appears twice.");
            }

            Next(ref reader);
            Expect(ref reader, JsonTokenType.StartObject, lines, file, proxy.Name, null, "a proxy must be an object");
            ReadProxy(ref reader, proxy, lines, file);
            proxies.Add(proxy);
        }

        return proxies;
    }

    private static void ReadProxy(ref Utf8JsonReader reader, ProxyDefinition proxy, LineCounter lines, string file)
    {
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            var line = lines.LineOf(reader.TokenStartIndex);
            Next(ref reader);
            switch (name)
            {
                case "matchCondition":
                    Expect(ref reader, JsonTokenType.StartObject, lines, file, proxy.Name, name, "must be an object with 'route' and optionally 'methods'");
                    ReadMatchCondition(ref reader, proxy, lines, file);
                    break;
                case "backendUri":
                    proxy.BackendUri = new(name, ReadString(ref reader, file, proxy.Name, name, line), line);
                    break;
                case "requestOverrides":
                    ReadOverrides(ref reader, proxy.RequestOverrides, RequestPrefix, lines, file, proxy.Name, name, line);
                    break;
                case "responseOverrides":
                    ReadOverrides(ref reader, proxy.ResponseOverrides, ResponsePrefix, lines, file, proxy.Name, name, line);
                    break;
                case "disabled":
                    proxy.Disabled = ReadBoolean(ref reader, file, proxy.Name, name, line);
                    break;
                case "debug":
                    // Azure's trace files and Proxy-Trace-Location header: accepted, and nothing is traced.
                    ReadBoolean(ref reader, file, proxy.Name, name, line);
                    break;
                case "desc":
                    reader.Skip();
                    break;
                default:
                    throw ProxiesFileException.At(file, proxy.Name, name, line,
                        "unknown element: a proxy holds matchCondition, backendUri, requestOverrides, responseOverrides, disabled, debug and desc.");
            }
        }
    }

    private static void ReadMatchCondition(ref Utf8JsonReader reader, ProxyDefinition proxy, LineCounter lines, string file)
    {
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            var line = lines.LineOf(reader.TokenStartIndex);
            var element = "matchCondition." + name;
            Next(ref reader);
            switch (name)
            {
                case "route":
                    proxy.Route = new(element, ReadString(ref reader, file, proxy.Name, element, line), line);
                    break;
                case "methods":
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        throw ProxiesFileException.At(file, proxy.Name, element, line, "must be an array of HTTP methods.");
                    }

                    var methods = new List<ProxyElement>();
                    while (Next(ref reader) != JsonTokenType.EndArray)
                    {
                        var itemLine = lines.LineOf(reader.TokenStartIndex);
                        methods.Add(new(element, ReadString(ref reader, file, proxy.Name, element, itemLine), itemLine));
                    }

                    proxy.Methods = methods;
                    break;
                default:
                    throw ProxiesFileException.At(file, proxy.Name, element, line, "unknown element: matchCondition holds route and methods.");
            }
        }
    }

    private static void ReadOverrides(ref Utf8JsonReader reader, List<ProxyElement> overrides, string prefix, LineCounter lines, string file, string proxy, string element, int line)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw ProxiesFileException.At(file, proxy, element, line, "must be an object.");
        }

        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            var nameLine = lines.LineOf(reader.TokenStartIndex);
            if (!name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                throw ProxiesFileException.At(file, proxy, $"{element}.{name}", nameLine, $"unknown element: every key of {element} starts with '{prefix}'.");
            }

            Next(ref reader);
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    overrides.Add(new(name, reader.GetString()!, nameLine));
                    break;
                case JsonTokenType.Number:
                case JsonTokenType.True:
                case JsonTokenType.False:
                    // "response.statusCode": 200, as the schema allows.
                    overrides.Add(new(name, Encoding.UTF8.GetString(reader.ValueSpan), nameLine));
                    break;
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    // A response.body written as JSON: sent as the JSON text, with no variables in it.
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    var json = lines.Text[start..((int)reader.TokenStartIndex + 1)];
                    overrides.Add(new(name, Encoding.UTF8.GetString(json), nameLine, IsJson: true));
                    break;
                default:
                    throw ProxiesFileException.At(file, proxy, $"{element}.{name}", nameLine, "must be a string.");
            }
        }
    }

    private static string ReadString(ref Utf8JsonReader reader, string file, string proxy, string element, int line) =>
        reader.TokenType == JsonTokenType.String
            ? reader.GetString()!
            : throw ProxiesFileException.At(file, proxy, element, line, "must be a string.");

    private static bool ReadBoolean(ref Utf8JsonReader reader, string file, string proxy, string element, int line) =>
        reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw ProxiesFileException.At(file, proxy, element, line, "must be true or false."),
        };

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, LineCounter lines, string file, string? proxy, string? element, string message)
    {
        if (reader.TokenType == JsonTokenType.None)
        {
            Next(ref reader);
        }

        if (reader.TokenType != type)
        {
            throw ProxiesFileException.At(file, proxy, element, lines.LineOf(reader.TokenStartIndex), message + ".");
        }
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new JsonException("The file ends early.", null, null, null);

    // Lines of byte offsets, counted forward as the reader moves on.
    private sealed class LineCounter(ReadOnlySpan<byte> text)
    {
        private readonly byte[] _text = text.ToArray();
        private int _offset;
        private int _line = 1;

        public ReadOnlySpan<byte> Text => _text;

        public int LineOf(long offset)
        {
            var end = (int)Math.Min(offset, _text.Length);
            if (end < _offset)
            {
                _offset = 0;
                _line = 1;
            }

            _line += _text.AsSpan(_offset, end - _offset).Count((byte)'\n');
            _offset = end;
            return _line;
        }
    }
}
