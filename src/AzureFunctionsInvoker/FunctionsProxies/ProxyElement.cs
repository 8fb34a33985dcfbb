namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// One value of a proxy: its element's name as the file spells it (<c>backendUri</c>,
/// <c>backend.request.headers.Accept</c>), its text, and its line. <see cref="IsJson"/> marks a value written as a JSON
/// object or array (a <c>response.body</c>), whose text is the JSON itself and holds no variables.
/// </summary>
internal sealed record ProxyElement(string Name, string Value, int Line, bool IsJson = false);
