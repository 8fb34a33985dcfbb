namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>
/// One string of a JSON body to replace: its bytes from <paramref name="Start"/> to <paramref name="End"/>, quotes
/// included, become the link <see cref="DurableJsonSplices"/> holds from <paramref name="LinkStart"/>, <paramref name="LinkLength"/> bytes.
/// </summary>
/// <param name="Start">The offset of the string's opening quote.</param>
/// <param name="End">The offset just past its closing quote.</param>
/// <param name="LinkStart">Where its replacement, a JSON string with its quotes as UTF-8, starts among the links.</param>
/// <param name="LinkLength">The replacement's length.</param>
internal readonly record struct DurableJsonSplice(int Start, int End, int LinkStart, int LinkLength);
