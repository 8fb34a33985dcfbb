namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>How a <see cref="ProxyTemplate"/> writes the variables it substitutes; literal text is always written as it is.</summary>
internal enum TemplateEncoding
{
    /// <summary>As they are: a header, a status, a body.</summary>
    Plain,

    /// <summary>
    /// In the path of a <c>backendUri</c>: a route parameter that is a whole segment of the caller's path as the caller
    /// encoded it (a catch-all with its segments), any other value percent-encoded as one segment (<c>/</c> is <c>%2F</c>).
    /// </summary>
    Path,

    /// <summary>In the query of a <c>backendUri</c>: every value percent-encoded as one query component.</summary>
    Query,
}
