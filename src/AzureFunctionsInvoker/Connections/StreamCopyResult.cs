namespace AzureFunctionsInvoker.Connections;

/// <summary>Why <c>StreamCopier</c> stopped copying a body: each side of the exchange maps it to its <c>ForwarderError</c>.</summary>
internal enum StreamCopyResult
{
    /// <summary>The source ended and everything it sent was written.</summary>
    Success,

    /// <summary>Reading the source failed.</summary>
    SourceFailed,

    /// <summary>Writing to the destination failed.</summary>
    DestinationFailed,

    /// <summary>The caller went away, which cancels the exchange whichever side the copy was waiting on.</summary>
    Canceled,

    /// <summary>The function did not complete a step within <see cref="AzureFunctionProxyOptions.Timeout"/>.</summary>
    TimedOut,
}
