using System.Text;
using AzureFunctionsInvoker.DurableLinks;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

/// <summary>
/// The key header of a token is base64url-encoded once per link key, its length cut to a multiple of three (merge
/// bd7ef61): whatever length Data Protection wraps the link key to (another algorithm or key ring), every token must be
/// the plain base64url of its bytes and read back as its link.
/// </summary>
public sealed class DurableLinkHeaderLengthTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Tokens_read_back_whatever_the_wrapped_keys_length_modulo_three(int padding)
    {
        var links = new DurableLinkProtector(new PaddingProvider(padding), "Hello", TimeProvider.System);
        var seen = new HashSet<int>();
        foreach (var resource in new[] { "instances/a", "instances/ab", "instances/abc", "instances/abcd" })
        {
            var link = new DurableLink("https://myapp.azurewebsites.net:443", resource, "taskHub=Hub&code=KEY");
            var token = links.Protect(link, TimeSpan.FromDays(7));
            var bytes = WebEncoders.Base64UrlDecode(token);
            seen.Add((3 + ((bytes[1] << 8) | bytes[2])) % 3);

            Assert.Equal(WebEncoders.Base64UrlEncode(bytes), token);
            Assert.True(links.TryUnprotect(token, TimeSpan.MaxValue, out var read));
            Assert.Equal(link, read);
        }

        // The header's length modulo three is the one this padding was chosen to give.
        Assert.Equal([(PaddingProvider.WrappedLength(0) + 3 + padding) % 3], seen);
    }

    // Data Protection stand-in whose payloads are the purpose chain, `padding` bytes, then the data: wrapped keys of any length.
    private sealed class PaddingProvider(int padding, string purposes = "") : IDataProtector
    {
        public static int WrappedLength(int padding) => padding + 32 + 1 + Encoding.UTF8.GetByteCount("|AzureFunctionsInvoker.DurableLinks.v1|HELLO|LinkKey");

        public IDataProtector CreateProtector(string purpose) => new PaddingProvider(padding, $"{purposes}|{purpose}");

        public byte[] Protect(byte[] plaintext) => [.. Encoding.UTF8.GetBytes(purposes), 0, .. new byte[padding], .. plaintext];

        public byte[] Unprotect(byte[] protectedData)
        {
            var prefix = Encoding.UTF8.GetBytes(purposes).Length + 1 + padding;
            if (protectedData.Length < prefix || !protectedData.AsSpan(0, prefix - 1 - padding).SequenceEqual(Encoding.UTF8.GetBytes(purposes)))
            {
                throw new System.Security.Cryptography.CryptographicException("Not this purpose's.");
            }

            return protectedData[prefix..];
        }
    }
}
