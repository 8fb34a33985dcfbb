namespace AzureFunctionsInvoker.Diagnostics;

/// <summary>
/// A request's address as a log line shows it: scheme, host, port and path, without the query, which may hold a
/// caller's secrets (a token, a signature). A struct that formats only when a line is written, so a request logged at
/// a disabled level costs no string.
/// </summary>
/// <param name="url">An address the proxy built, whose first <c>?</c> starts its query (the path cannot hold one).</param>
internal readonly struct UrlWithoutQuery(Uri url)
{
    public override string ToString()
    {
        var address = url.OriginalString;
        var query = address.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? address : address[..query];
    }
}
