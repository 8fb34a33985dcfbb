using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>One row of <see cref="ForwarderErrors"/>.</summary>
/// <param name="Status">The caller's status; 0 when nothing is written (forwarded whole, or nobody left to answer).</param>
/// <param name="Title">The problem body's title.</param>
/// <param name="Detail">The problem body's detail: says what happened, never a path, a header or a key.</param>
/// <param name="ErrorType">The telemetry <c>error.type</c>; <see langword="null"/> for a success.</param>
/// <param name="Log">Writes the row's log event (named like the error); <see langword="null"/> when there is none.</param>
internal sealed record ForwarderErrorEntry(int Status, string Title, string Detail, string? ErrorType, Action<ILogger, ForwarderFailure>? Log);
