using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// The one way a test host's configuration changes: a source, added last (so it outranks the app's own files), whose
/// content the test edits or replaces, each change reloading the configuration as an edited appsettings.json does.
/// Keys a replacement drops are gone, as they are from an edited file.
/// </summary>
public sealed class ReloadableConfiguration : ConfigurationProvider, IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    /// <summary>Replaces the whole content with <paramref name="data"/> and reloads.</summary>
    public void Replace(IReadOnlyDictionary<string, string?> data)
    {
        Data = new Dictionary<string, string?>(data, StringComparer.OrdinalIgnoreCase);
        OnReload();
    }

    /// <summary>Sets each key of <paramref name="data"/>, keeping the others, and reloads.</summary>
    public void Edit(IReadOnlyDictionary<string, string?> data) => Replace(Data.Concat(data).GroupBy(pair => pair.Key, StringComparer.OrdinalIgnoreCase).ToDictionary(keys => keys.Key, keys => keys.Last().Value));

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>, keeping the others, and reloads.</summary>
    public void Edit(string key, string? value) => Edit(new Dictionary<string, string?> { [key] = value });

    /// <summary>
    /// <paramref name="json"/> serialised to JSON and read back as a JSON file's configuration provider reads it: the same
    /// keys and values (arrays as indexes, empty objects as null), and no others.
    /// </summary>
    public static Dictionary<string, string?> FromJson(object json)
    {
        var read = new ConfigurationBuilder().AddJsonStream(new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(json))).Build();
        var provider = read.Providers.Single();
        return read.AsEnumerable().Where(pair => provider.TryGet(pair.Key, out _)).ToDictionary();
    }
}
