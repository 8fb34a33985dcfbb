namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>One piece of a <see cref="ProxyTemplate"/>: literal text, or a variable with its name.</summary>
internal readonly record struct TemplatePart(TemplatePartKind Kind, string Text)
{
    /// <summary>Whether the caller chooses the value: a route parameter or a <c>request.*</c> variable.</summary>
    public bool IsCallers => Kind is TemplatePartKind.RouteValue or TemplatePartKind.RequestMethod or TemplatePartKind.RequestHeader or TemplatePartKind.RequestQuery;

    /// <summary>Whether the value comes from the backend's response: a <c>backend.response.*</c> variable.</summary>
    public bool IsBackendResponse => Kind is TemplatePartKind.BackendStatus or TemplatePartKind.BackendReason or TemplatePartKind.BackendHeader;
}
