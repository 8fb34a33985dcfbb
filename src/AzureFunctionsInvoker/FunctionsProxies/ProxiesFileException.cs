namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// A <c>proxies.json</c> that does not read or does not validate. The message names the file, and where they are known
/// the proxy, the element and the line: <c>proxies.json: proxy 'orders', backendUri (line 7): ...</c>. Never a setting's
/// value: a <c>%SETTING%</c> may hold a key.
/// </summary>
internal sealed class ProxiesFileException : InvalidOperationException
{
    public ProxiesFileException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>A failure of <paramref name="element"/> of the proxy <paramref name="proxy"/> in <paramref name="file"/>.</summary>
    public static ProxiesFileException At(string file, string? proxy, string? element, int line, string message)
    {
        var where = proxy is null ? string.Empty : $"proxy '{proxy}'";
        if (element is not null)
        {
            where += where.Length == 0 ? element : $", {element}";
        }

        if (line > 0)
        {
            where += where.Length == 0 ? $"line {line}" : $" (line {line})";
        }

        return new ProxiesFileException(where.Length == 0 ? $"{file}: {message}" : $"{file}: {where}: {message}");
    }
}
