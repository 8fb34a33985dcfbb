using System.Diagnostics;
using System.Net;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;

namespace AzureFunctionsInvoker.Tests.Forwarding;

public sealed class HeaderRulesTests
{
    [Fact]
    public void Copies_end_to_end_request_headers_with_every_value()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["X-Multi"] = new[] { "one", "two" };
        context.Request.Headers.Accept = "text/plain";
        using var request = new HttpRequestMessage();

        HeaderRules.CopyRequestHeaders(context, request, Policy());

        Assert.Equal(["one", "two"], request.Headers.GetValues("X-Multi"));
        Assert.Equal(["text/plain"], request.Headers.GetValues("Accept"));
    }

    [Theory]
    [InlineData("Connection")]
    [InlineData("Keep-Alive")]
    [InlineData("Proxy-Connection")]
    [InlineData("Proxy-Authorization")]
    [InlineData("TE")]
    [InlineData("Trailer")]
    [InlineData("Transfer-Encoding")]
    [InlineData("Upgrade")]
    [InlineData("Host")]
    [InlineData("X-Named-By-Connection")]
    [InlineData(":authority")]
    [InlineData("X-Original-URL")]
    [InlineData("X-Rewrite-URL")]
    [InlineData("X-HTTP-Method-Override")]
    [InlineData("X-HTTP-Method")]
    [InlineData("X-Method-Override")]
    public void Never_copies_hop_by_hop_request_headers(string name)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Connection = "keep-alive, X-Named-By-Connection";
        context.Request.Headers[name] = "value";
        context.Request.Headers["X-Kept"] = "kept";
        using var request = new HttpRequestMessage { Content = new ByteArrayContent([]) };

        HeaderRules.CopyRequestHeaders(context, request, Policy());

        Assert.False(request.Headers.NonValidated.Contains(name));
        Assert.False(request.Content.Headers.NonValidated.Contains(name));
        Assert.True(request.Headers.NonValidated.Contains("X-Kept"));
    }

    [Fact]
    public void Puts_content_headers_on_the_content_and_drops_them_without_a_body()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.ContentType = "application/json";
        context.Request.Headers.ContentLength = 12;
        using var withBody = new HttpRequestMessage { Content = new ByteArrayContent([]) };
        using var withoutBody = new HttpRequestMessage();

        HeaderRules.CopyRequestHeaders(context, withBody, Policy());
        HeaderRules.CopyRequestHeaders(context, withoutBody, Policy());

        Assert.Equal("application/json", withBody.Content.Headers.ContentType?.MediaType);
        Assert.Equal(12, withBody.Content.Headers.ContentLength);
        Assert.False(withoutBody.Headers.NonValidated.Contains("Content-Type"));
    }

    [Fact]
    public void Configured_key_and_client_id_replace_the_callers()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["x-functions-key"] = "callers";
        context.Request.Headers["X-Functions-ClientId"] = "callers";
        using var request = new HttpRequestMessage();

        HeaderRules.CopyRequestHeaders(context, request, Policy(o => { o.ApiKey = "configured-key"; o.ClientId = "configured-id"; }));

        Assert.Equal(["configured-key"], request.Headers.GetValues("x-functions-key"));
        Assert.Equal(["configured-id"], request.Headers.GetValues("x-functions-clientid"));
    }

    [Fact]
    public void Sets_x_forwarded_headers_from_the_connection()
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("2001:db8::7");
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("gateway.example", 8443);
        context.Request.Headers["X-Forwarded-For"] = "6.6.6.6";
        using var request = new HttpRequestMessage();

        HeaderRules.CopyRequestHeaders(context, request, Policy());

        Assert.Equal(["2001:db8::7"], request.Headers.GetValues("X-Forwarded-For"));
        Assert.Equal(["https"], request.Headers.GetValues("X-Forwarded-Proto"));
        Assert.Equal(["gateway.example:8443"], request.Headers.GetValues("X-Forwarded-Host"));
    }

    [Fact]
    public void Copies_end_to_end_response_headers_keeping_each_set_cookie()
    {
        using var response = new HttpResponseMessage { Content = new ByteArrayContent([]) };
        response.Headers.TryAddWithoutValidation("Set-Cookie", ["a=1", "b=2"]);
        response.Headers.TryAddWithoutValidation("X-Custom", "custom");
        response.Content.Headers.TryAddWithoutValidation("Content-Type", "text/plain");
        response.Content.Headers.TryAddWithoutValidation("Content-Length", "42");
        var context = new DefaultHttpContext();

        HeaderRules.CopyResponseHeaders(response, context.Response, NullLogger.Instance, Policy());

        Assert.Equal(new[] { "a=1", "b=2" }, context.Response.Headers.SetCookie.ToArray());
        Assert.Equal("custom", context.Response.Headers["X-Custom"]);
        Assert.Equal("text/plain", context.Response.ContentType);
        Assert.Equal(42, context.Response.ContentLength);
    }

    [Fact]
    public void A_response_header_the_server_refuses_is_dropped_and_logged_by_name_and_the_others_are_copied()
    {
        using var response = new HttpResponseMessage { Content = new ByteArrayContent([]) };
        response.Headers.TryAddWithoutValidation("X-Before", "before");
        response.Headers.TryAddWithoutValidation("X-Refused", "caf\u00e9");
        response.Headers.TryAddWithoutValidation("X-After", "after");
        var context = new DefaultHttpContext();
        context.Features.Set<IHttpResponseFeature>(new HttpResponseFeature { Headers = new AsciiOnlyHeaders() });
        using var logs = new CapturingLoggerProvider();

        HeaderRules.CopyResponseHeaders(response, context.Response, logs.CreateLogger("test"), Policy());

        Assert.Equal("before", context.Response.Headers["X-Before"]);
        Assert.Equal("after", context.Response.Headers["X-After"]);
        Assert.False(context.Response.Headers.ContainsKey("X-Refused"));
        var dropped = Assert.Single(logs.Entries, e => e.EventId.Name == "ResponseHeaderDropped");
        Assert.Contains("X-Refused", dropped.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("caf", dropped.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Connection")]
    [InlineData("Keep-Alive")]
    [InlineData("Transfer-Encoding")]
    [InlineData("Upgrade")]
    [InlineData("Proxy-Authenticate")]
    [InlineData("Alt-Svc")]
    [InlineData("X-Named-By-Connection")]
    [InlineData("x-functions-key")]
    [InlineData("X-Functions-ClientId")]
    public void Never_copies_hop_by_hop_response_headers(string name)
    {
        using var response = new HttpResponseMessage { Content = new ByteArrayContent([]) };
        response.Headers.TryAddWithoutValidation("Connection", "close, X-Named-By-Connection");
        response.Headers.TryAddWithoutValidation(name, "value");
        var context = new DefaultHttpContext();

        HeaderRules.CopyResponseHeaders(response, context.Response, NullLogger.Instance, Policy());

        Assert.False(context.Response.Headers.ContainsKey(name));
    }

    [Theory]
    [InlineData("a\u0001b")]
    [InlineData("a\rb")]
    [InlineData("a\u007fb")]
    public void A_value_with_a_control_character_other_than_htab_stops_the_copy(string value)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["X-Odd"] = new[] { "fine", value };
        using var request = new HttpRequestMessage();

        Assert.False(HeaderRules.CopyRequestHeaders(context, request, Policy()));
    }

    [Fact]
    public void A_value_with_htab_or_non_ascii_text_is_copied()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["X-Text"] = "caf\u00e9\tok";
        using var request = new HttpRequestMessage();

        Assert.True(HeaderRules.CopyRequestHeaders(context, request, Policy()));
        Assert.Equal(["caf\u00e9\tok"], request.Headers.NonValidated["X-Text"]);
    }

    [Fact]
    public void With_no_current_activity_the_callers_trace_context_is_copied_as_it_is()
    {
        Assert.Null(Activity.Current);
        var context = new DefaultHttpContext();
        context.Request.Headers["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        context.Request.Headers["tracestate"] = "vendor=1";
        using var request = new HttpRequestMessage();

        HeaderRules.CopyRequestHeaders(context, request, Policy());

        Assert.Equal(["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"], request.Headers.NonValidated["traceparent"]);
        Assert.Equal(["vendor=1"], request.Headers.NonValidated["tracestate"]);
    }

    [Fact]
    public void With_a_current_activity_the_callers_trace_context_is_left_for_the_transport_to_write()
    {
        using var activity = new Activity("request").Start();
        var context = new DefaultHttpContext();
        context.Request.Headers["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        context.Request.Headers["tracestate"] = "vendor=1";
        using var request = new HttpRequestMessage();

        HeaderRules.CopyRequestHeaders(context, request, Policy());

        Assert.False(request.Headers.NonValidated.Contains("traceparent"));
        Assert.False(request.Headers.NonValidated.Contains("tracestate"));
    }

    private static Backend.HeaderPolicy Policy(Action<AzureFunctionProxyOptions>? configure = null)
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello" };
        configure?.Invoke(options);
        return new Backend.HeaderPolicy(options);
    }

    // Response headers as Kestrel keeps them: a value with a non-ASCII character is refused with InvalidOperationException.
    private sealed class AsciiOnlyHeaders : IHeaderDictionary
    {
        private readonly HeaderDictionary _inner = new();

        public StringValues this[string key]
        {
            get => _inner[key];
            set
            {
                if (value.Any(v => v is not null && !System.Text.Ascii.IsValid(v)))
                {
                    throw new InvalidOperationException($"Invalid non-ASCII or control character in header: {key}");
                }

                _inner[key] = value;
            }
        }

        public long? ContentLength { get => _inner.ContentLength; set => _inner.ContentLength = value; }

        public ICollection<string> Keys => _inner.Keys;

        public ICollection<StringValues> Values => _inner.Values;

        public int Count => _inner.Count;

        public bool IsReadOnly => false;

        public void Add(string key, StringValues value) => this[key] = value;

        public void Add(KeyValuePair<string, StringValues> item) => this[item.Key] = item.Value;

        public void Clear() => _inner.Clear();

        public bool Contains(KeyValuePair<string, StringValues> item) => _inner.Contains(item);

        public bool ContainsKey(string key) => _inner.ContainsKey(key);

        public void CopyTo(KeyValuePair<string, StringValues>[] array, int arrayIndex) => _inner.CopyTo(array, arrayIndex);

        public IEnumerator<KeyValuePair<string, StringValues>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, StringValues>>)_inner).GetEnumerator();

        public bool Remove(string key) => _inner.Remove(key);

        public bool Remove(KeyValuePair<string, StringValues> item) => _inner.Remove(item);

        public bool TryGetValue(string key, out StringValues value) => _inner.TryGetValue(key, out value);

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
