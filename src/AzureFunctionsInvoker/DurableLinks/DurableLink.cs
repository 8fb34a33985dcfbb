namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>
/// What a Durable link's token holds, hidden from the caller: the origin the management URL was on, the resource below
/// <c>/runtime/webhooks/durabletask/</c> (<c>instances/{id}</c>), and the query parameters a caller must not see or set
/// (<c>taskHub</c>, <c>connection</c>, <c>code</c>, and any other the caller has no use for), all as the function wrote them.
/// </summary>
/// <param name="Origin">Scheme, host and port, e.g. <c>https://myapp.azurewebsites.net:443</c>.</param>
/// <param name="Resource">The path below <c>/runtime/webhooks/durabletask/</c>, percent-encoding kept.</param>
/// <param name="HiddenQuery">The hidden parameters, <c>&amp;</c>-separated, without a <c>?</c>; empty when none.</param>
internal sealed record DurableLink(string Origin, string Resource, string HiddenQuery)
{
    /// <summary>The path every Durable Task management URL starts with.</summary>
    public const string WebhookPath = "/runtime/webhooks/durabletask/";

    /// <summary>The resource of one orchestration instance, to which the operations apply.</summary>
    public bool IsInstance => Resource.StartsWith("instances/", StringComparison.OrdinalIgnoreCase)
        && Resource.AsSpan("instances/".Length).IndexOf('/') < 0
        && Resource.Length > "instances/".Length;

    /// <summary>The origin of <paramref name="uri"/> as tokens hold it: scheme, host and port, always written.</summary>
    public static string OriginOf(Uri uri) => string.Concat(uri.Scheme, "://", uri.Host, ":", uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
