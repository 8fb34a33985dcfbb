using Microsoft.Extensions.Primitives;

namespace AzureFunctionsInvoker.Rewriting;

/// <summary>Reads a <c>Content-Encoding</c>: <c>identity</c> (in any case, listed any number of times) is no encoding.</summary>
internal static class ContentCoding
{
    /// <summary>Whether <paramref name="values"/> name a content coding other than <c>identity</c>.</summary>
    public static bool IsEncoded(StringValues values)
    {
        foreach (var value in values)
        {
            var span = value.AsSpan();
            foreach (var range in span.Split(','))
            {
                var coding = span[range].Trim(" \t");
                if (!coding.IsEmpty && !coding.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
