using System.Buffers;
using System.Text;
using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

/// <summary>
/// The byte-level rewriting decodes management URLs, their hidden parameters and the payloads it seals into buffers of
/// the process-wide <see cref="ArrayPool{T}.Shared"/> (merge bd7ef61): none may go back to the pool with the system key
/// in it, where any other code of the app that rents one (and, by a bug of its own, sends what it did not write) would
/// hand it out.
/// </summary>
public sealed class DurablePooledBufferTests
{
    private const string Key = "SYSTEMKEYxq7Zk2";

    [Fact]
    public void No_pooled_buffer_is_given_back_with_the_system_key_in_it()
    {
        // Escaped (so unescaped into a rented buffer), a query over 512 characters (so split in a rented one), sealed
        // in a rented payload buffer.
        var query = $"taskHub=Hub&connection=Storage&code={Key}&pad={new string('p', 600)}";
        var url = $"https:\\/\\/myapp.azurewebsites.net\\/runtime\\/webhooks\\/durabletask\\/instances\\/abc?{query.Replace("&", "\\u0026", StringComparison.Ordinal)}";
        var body = Encoding.UTF8.GetBytes($$"""{"a":"{{url}}","b":"{{url.Replace("abc?", "abc/terminate?", StringComparison.Ordinal)}}"}""");
        using (var splices = new DurableJsonSplices())
        {
            Assert.Equal(DurableJsonResult.Rewritten, DurableJson.Rewrite(body, RewriteScopes.For(), RewriteScopes.Links(), splices));
        }

        // The pool gives a thread back what it returned last: rent several of every size the rewriting used.
        var keyBytes = Encoding.UTF8.GetBytes(Key);
        var found = new List<string>();
        for (var size = 16; size <= 256 * 1024; size *= 2)
        {
            var bytes = Enumerable.Range(0, 4).Select(_ => ArrayPool<byte>.Shared.Rent(size)).ToArray();
            var chars = Enumerable.Range(0, 4).Select(_ => ArrayPool<char>.Shared.Rent(size)).ToArray();
            found.AddRange(bytes.Where(array => array.AsSpan().IndexOf(keyBytes) >= 0).Select(array => $"byte[{array.Length}]"));
            found.AddRange(chars.Where(array => array.AsSpan().IndexOf(Key.AsSpan()) >= 0).Select(array => $"char[{array.Length}]"));
            Array.ForEach(bytes, array => ArrayPool<byte>.Shared.Return(array));
            Array.ForEach(chars, array => ArrayPool<char>.Shared.Return(array));
        }

        Assert.Empty(found);
    }
}
