using System.Buffers;
using System.Text;
using AzureFunctionsInvoker.Rewriting;

namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>
/// What every link of one response shares, computed once for all of its management URLs: the origin they must be on
/// and their tokens hold, the address every link starts with (<c>{caller's mount}/{DurableLinksPath}/</c>, as UTF-8)
/// and the links' lifetime and issue time.
/// </summary>
internal sealed class DurableLinkScope
{
    private readonly RewriteScope _scope;
    private readonly DurableLinkProtector _links;
    private bool _uncached;

    private DurableLinkScope(in RewriteScope scope, DurableLinkProtector links)
    {
        _scope = scope;
        _links = links;
        Issued = links.Now;
        Authority = scope.FunctionUrl.Authority;
        Origin = DurableLink.OriginOf(scope.FunctionUrl);
        Prefix = Encoding.UTF8.GetBytes(string.Concat(scope.MountAddress, "/", scope.Options.DurableLinksPath, "/"));
    }

    /// <summary>The address the function's request went to: management URLs on its origin become links.</summary>
    public Uri FunctionUrl => _scope.FunctionUrl;

    /// <summary>The authority of <see cref="FunctionUrl"/>.</summary>
    public string Authority { get; }

    /// <summary>The origin as tokens hold it.</summary>
    public string Origin { get; }

    /// <summary>What every link starts with, as UTF-8.</summary>
    public byte[] Prefix { get; }

    /// <summary>When the links are issued: the clock read once for all of them.</summary>
    public DateTimeOffset Issued { get; }

    /// <summary>How long the links live.</summary>
    public TimeSpan Lifetime => _scope.Options.DurableLinksLifetime;

    /// <summary>How many tokens the links of the response have sealed: a link reusing the one before it seals none.</summary>
    public int Sealed { get; private set; }

    /// <summary>The scope of the links of the response <paramref name="scope"/> rewrites, their tokens made by <paramref name="links"/>.</summary>
    public static DurableLinkScope Of(in RewriteScope scope, DurableLinkProtector links) => new(scope, links);

    /// <summary>
    /// Whether <paramref name="utf8"/> may be a management URL on the origin, by its first bytes: the origin's scheme and
    /// <c>://</c>, in any case. Most strings of a body fail on their first byte, without being decoded.
    /// </summary>
    public bool MayBeOnOrigin(ReadOnlySpan<byte> utf8)
    {
        var scheme = FunctionUrl.Scheme;
        return utf8.Length >= scheme.Length + 3 + DurableLink.WebhookPath.Length
            && utf8[scheme.Length..].StartsWith("://"u8)
            && Ascii.EqualsIgnoreCase(utf8[..scheme.Length], scheme);
    }

    /// <summary>
    /// Writes the token of the link to <paramref name="resource"/> with <paramref name="hiddenQuery"/> on the origin to
    /// <paramref name="output"/>, issued now for the links' lifetime, counting it in <see cref="Sealed"/> when it was sealed.
    /// </summary>
    public void Protect(ReadOnlySpan<char> resource, ReadOnlySpan<char> hiddenQuery, IBufferWriter<byte> output)
    {
        if (_links.Protect(Origin, resource, hiddenQuery, Lifetime, Issued, output))
        {
            Sealed++;
        }
    }

    /// <summary>
    /// Keeps the response out of output caching, once: a link is per caller and expires, and the instance it names
    /// changes, so no answer that holds one is cached.
    /// </summary>
    public void MarkUncached()
    {
        if (!_uncached)
        {
            UncachedResponse.Mark(_scope.Caller.HttpContext);
            _uncached = true;
        }
    }
}
