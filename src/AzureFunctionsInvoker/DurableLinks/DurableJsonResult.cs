namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>What <see cref="DurableJson.Rewrite"/> did with a body.</summary>
internal enum DurableJsonResult
{
    /// <summary>Nothing to rewrite: the body goes as it came.</summary>
    Unchanged,

    /// <summary>The rewritten body was written out.</summary>
    Rewritten,

    /// <summary>The body is not JSON yet names a Durable Task management URL: it must not reach the caller.</summary>
    Unreadable,

    /// <summary>The body holds more management URLs than are rewritten in one response, or would grow too large: it must not reach the caller.</summary>
    OverBudget,
}
