using Microsoft.Extensions.Configuration;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>A configuration source whose whole content a test replaces and reloads, as an edited file would be: keys it drops are gone.</summary>
public sealed class SwappableConfiguration : ConfigurationProvider, IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    public void Swap(IReadOnlyDictionary<string, string?> data)
    {
        Data = new Dictionary<string, string?>(data, StringComparer.OrdinalIgnoreCase);
        OnReload();
    }
}
