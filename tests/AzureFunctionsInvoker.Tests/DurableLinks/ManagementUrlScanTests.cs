using System.Text;
using AzureFunctionsInvoker.DurableLinks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

public sealed class ManagementUrlScanTests
{
    [Theory]
    [InlineData("https://app.azurewebsites.net/runtime/webhooks/durabletask/instances/x?code=K")]
    [InlineData("HTTPS://APP/RUNTIME/WEBHOOKS/DURABLETASK/instances/x?code=K")]
    [InlineData("""{"u":"https:\/\/app\/runtime\/webhooks\/durabletask\/instances\/x?code=K"}""")]
    [InlineData("/runtime/webhooks/durabletask")]
    public void The_webhook_path_is_found_wherever_the_reads_split_it(string body)
    {
        var bytes = Encoding.UTF8.GetBytes("0123456789abcdefghijklmnopqrstuvwxyz " + body + " tail");
        for (var split = 0; split <= bytes.Length; split++)
        {
            var scan = default(ManagementUrlScan);
            Assert.True(scan.Finds(bytes.AsSpan(0, split)) || scan.Finds(bytes.AsSpan(split)), $"split at {split}");
        }
    }

    [Fact]
    public void The_webhook_path_is_found_in_reads_of_one_byte()
    {
        var bytes = Encoding.UTF8.GetBytes("xx https:\\/\\/app\\/runtime\\/webhooks\\/durabletask\\/instances");
        var scan = default(ManagementUrlScan);

        var found = -1;
        for (var i = 0; i < bytes.Length && found < 0; i++)
        {
            found = scan.Finds(bytes.AsSpan(i, 1)) ? i : -1;
        }

        Assert.Equal(Encoding.UTF8.GetString(bytes).IndexOf("durabletask", StringComparison.Ordinal) + "durabletask".Length - 1, found);
    }

    [Theory]
    [InlineData("/runtime/webhooks/durabletask")]
    [InlineData("\\/RunTime\\/WebHooks\\/DurableTask")]
    [InlineData("/runtime\\/webhooks/durabletask")]
    [InlineData("/runtime/webhooks\\/durabletask")]
    public void The_webhook_path_is_found_at_any_offset_among_other_slashes(string path)
    {
        for (var offset = 0; offset < 140; offset++)
        {
            var text = new StringBuilder();
            while (text.Length < offset)
            {
                text.Append("/a/b//c/");
            }

            text.Length = offset;
            text.Append(path).Append("/x/y/z/").Append('/', 64);
            Assert.True(ManagementUrlScan.Holds(Encoding.UTF8.GetBytes(text.ToString())), $"offset {offset}");
            Assert.False(ManagementUrlScan.Holds(Encoding.UTF8.GetBytes(text.ToString().Replace("webhooks", "webhookz", StringComparison.OrdinalIgnoreCase))), $"offset {offset}");
        }
    }

    [Theory]
    [InlineData("/runtime/webhooks/other and /api/runtime/durabletask and runtime/webhooks/durabletask")]
    [InlineData("/runtime/webhooks/durabletas")]
    [InlineData("/runtime//webhooks/durabletask")]
    [InlineData("/runtimewebhooksdurabletask")]
    [InlineData("/runtime\\webhooks\\durabletask")]
    public void Other_text_is_not_taken_for_it(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        for (var split = 0; split <= bytes.Length; split++)
        {
            var scan = default(ManagementUrlScan);
            Assert.False(scan.Finds(bytes.AsSpan(0, split)) || scan.Finds(bytes.AsSpan(split)), $"split at {split}");
        }
    }

    [Theory]
    [InlineData("/runtime/webhooks/durabletask")]
    [InlineData("/runtime\\/webhooks\\/durabletask")]
    public void The_webhook_path_is_found_after_any_length_of_text_without_a_slash(string path)
    {
        // The vectorised search skips slash-free stretches: what follows the last one skipped is searched all the same.
        for (var length = 0; length < 200; length++)
        {
            Assert.True(ManagementUrlScan.Holds(Encoding.UTF8.GetBytes(new string('a', length) + path)), $"after {length} bytes");
            Assert.True(ManagementUrlScan.Holds(Encoding.UTF8.GetBytes(new string('a', length) + path + new string('b', 100))), $"after {length} bytes, before 100");
        }
    }

    [Theory]
    [InlineData("GET", "_durable", true)]
    [InlineData("POST", "_durable", true)]
    [InlineData("HEAD", "_durable", false)] // no body to scan
    [InlineData("GET", "", false)] // Durable links off
    public void A_body_is_scanned_when_Durable_links_are_on_and_it_has_a_body(string method, string linksPath, bool expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;

        Assert.Equal(expected, ManagementUrlScan.Applies(context, new AzureFunctionProxyOptions { DurableLinksPath = linksPath }));
    }

    [Theory]
    [InlineData("https://localhost/runtime/webhooks/durabletask/instances/x?code=K", null, true)]
    [InlineData(null, "https://10.0.0.1/runtime/webhooks/durabletask/instances/x?code=K", true)]
    [InlineData("https://app.example.com/next", "/here", false)]
    [InlineData(null, null, false)]
    public void A_location_or_content_location_left_naming_the_webhook_path_is_found(string? location, string? contentLocation, bool expected)
    {
        IHeaderDictionary headers = new HeaderDictionary();
        if (location is not null)
        {
            // A null value beside it, as a StringValues array may hold, is no value.
            headers.Location = new StringValues([null, location]);
        }

        if (contentLocation is not null)
        {
            headers.ContentLocation = contentLocation;
        }

        Assert.Equal(expected, ManagementUrlScan.LeftInHeaders(headers, new AzureFunctionProxyOptions()));
        Assert.False(ManagementUrlScan.LeftInHeaders(headers, new AzureFunctionProxyOptions { DurableLinksPath = string.Empty }));
    }
}
