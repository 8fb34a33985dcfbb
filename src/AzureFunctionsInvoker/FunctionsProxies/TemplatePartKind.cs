namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>What a <see cref="TemplatePart"/> stands for.</summary>
internal enum TemplatePartKind
{
    /// <summary>Text as it is, <c>%SETTING%</c> values and <c>{{</c> <c>}}</c> included.</summary>
    Literal,

    /// <summary><c>{name}</c>: a route parameter.</summary>
    RouteValue,

    /// <summary><c>{request.method}</c>.</summary>
    RequestMethod,

    /// <summary><c>{request.headers.&lt;name&gt;}</c>.</summary>
    RequestHeader,

    /// <summary><c>{request.querystring.&lt;name&gt;}</c>.</summary>
    RequestQuery,

    /// <summary><c>{backend.response.statusCode}</c>.</summary>
    BackendStatus,

    /// <summary><c>{backend.response.statusReason}</c>.</summary>
    BackendReason,

    /// <summary><c>{backend.response.headers.&lt;name&gt;}</c>.</summary>
    BackendHeader,
}
