namespace AzureFunctionsInvoker.Forwarding;

/// <summary>What a <see cref="ForwarderError"/>'s log event may name: the function, the caller's method, the function's status, the cause.</summary>
/// <param name="Options">The function's options (for its name, <c>Timeout</c> and <c>MaxRequestBodySize</c>; never its key).</param>
/// <param name="Method">The caller's method.</param>
/// <param name="StatusCode">The function's status, when it answered.</param>
/// <param name="Exception">What ended the exchange, when something threw.</param>
internal readonly record struct ForwarderFailure(AzureFunctionProxyOptions Options, string Method, int StatusCode = 0, Exception? Exception = null);
