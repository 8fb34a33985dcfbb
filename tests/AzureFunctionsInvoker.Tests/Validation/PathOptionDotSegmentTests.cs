using AzureFunctionsInvoker.Validation;

namespace AzureFunctionsInvoker.Tests.Validation;

/// <summary>
/// A path option may not hold a dot segment, <c>.</c> as well as <c>..</c>: a server resolves either, so the
/// function's URL would not be the one configured (<c>api/./hello</c> is <c>api/hello</c>, <c>.</c> is the route prefix itself).
/// </summary>
public sealed class PathOptionDotSegmentTests
{
    [Theory]
    [InlineData(".")]
    [InlineData("./")]
    [InlineData("a/.")]
    [InlineData("./hello")]
    [InlineData("a/./b")]
    public void A_FunctionName_with_a_single_dot_segment_is_refused_naming_the_option(string functionName)
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = functionName };

        var result = AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Mounted("hello", "/mytest"), options);

        Assert.True(result.Failed);
        Assert.Contains("FunctionName must be path segments", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/./api")]
    [InlineData(".")]
    public void A_RoutePrefix_with_a_single_dot_segment_is_refused_naming_the_option(string routePrefix)
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", RoutePrefix = routePrefix };

        var result = AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Mounted("hello", "/mytest"), options);

        Assert.True(result.Failed);
        Assert.Contains("RoutePrefix must be path segments", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".a")]
    [InlineData("a.b")]
    public void A_FunctionName_with_a_dot_among_letters_is_accepted(string functionName)
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = functionName };

        var result = AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Mounted("hello", "/mytest"), options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }
}
