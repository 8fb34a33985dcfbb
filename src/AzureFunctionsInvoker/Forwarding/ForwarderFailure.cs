namespace AzureFunctionsInvoker.Forwarding;

/// <summary>What a <see cref="ForwarderError"/>'s log event may name: the function and its host, the caller's method, the function's status, the cause.</summary>
/// <param name="Options">The function's options (for its name, <c>Timeout</c> and <c>MaxRequestBodySize</c>; never its key).</param>
/// <param name="Method">The caller's method.</param>
/// <param name="StatusCode">The function's status, when it answered.</param>
/// <param name="Exception">What ended the exchange, when something threw.</param>
/// <param name="Url">The address the request went to, once one was chosen (for its host and port only: its query may hold a key).</param>
internal readonly record struct ForwarderFailure(AzureFunctionProxyOptions Options, string Method, int StatusCode = 0, Exception? Exception = null, Uri? Url = null)
{
    /// <summary>The host and port the request went to, as log lines name a function's backend; empty before one was chosen.</summary>
    public string Endpoint => Url is null ? string.Empty : $"{Url.Host}:{Url.Port}";

    /// <summary>The cause of a failure that is the function's answer, as log lines name it: <c>status 503</c>.</summary>
    public string StatusCause => $"status {StatusCode}";
}
