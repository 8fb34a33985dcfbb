namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>One string of a JSON body to replace: its bytes from <paramref name="Start"/> to <paramref name="End"/>, quotes included, become <paramref name="Replacement"/>.</summary>
/// <param name="Start">The offset of the string's opening quote.</param>
/// <param name="End">The offset just past its closing quote.</param>
/// <param name="Replacement">The JSON string that replaces it, quotes included, as UTF-8.</param>
internal readonly record struct DurableJsonSplice(int Start, int End, byte[] Replacement);
