using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Forwarding;

namespace AzureFunctionsInvoker.Tests.Forwarding;

public sealed class StreamingRequestContentTests
{
    [Fact]
    public async Task Streams_the_whole_body_from_where_a_buffered_reader_left_it()
    {
        using var timeout = new StepTimeout(TimeSpan.FromMinutes(1), TimeProvider.System, CancellationToken.None);
        var source = new MemoryStream([1, 2, 3, 4, 5]) { Position = 3 };
        using var content = new StreamingRequestContent(source, timeout);

        var sent = await content.ReadAsByteArrayAsync();

        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, sent);
    }

    [Fact]
    public async Task Is_sent_only_once_so_a_retry_cannot_send_an_empty_body()
    {
        using var timeout = new StepTimeout(TimeSpan.FromMinutes(1), TimeProvider.System, CancellationToken.None);
        using var content = new StreamingRequestContent(new MemoryStream([1, 2, 3]), timeout);
        await content.CopyToAsync(Stream.Null);

        await Assert.ThrowsAsync<InvalidOperationException>(() => content.CopyToAsync(Stream.Null));
    }

    [Fact]
    public async Task A_body_shorter_than_its_content_length_is_the_callers_side_failing()
    {
        using var timeout = new StepTimeout(TimeSpan.FromMinutes(1), TimeProvider.System, CancellationToken.None);
        using var content = new StreamingRequestContent(new NonSeekable([1, 2, 3]), timeout);
        content.Headers.ContentLength = 10;

        await Assert.ThrowsAnyAsync<Exception>(() => content.CopyToAsync(Stream.Null));
        Assert.IsType<IOException>(content.CallerFailure);
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
