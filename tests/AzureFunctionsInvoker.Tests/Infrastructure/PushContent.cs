using System.Net;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>A chunked request body the test writes itself, pausing between pieces to observe the other side.</summary>
public sealed class PushContent(Func<Stream, Task> write) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => write(stream);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
