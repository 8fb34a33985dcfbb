namespace AzureFunctionsInvoker.Functions;

/// <summary>Registered by <c>AddAzureFunctionProxy(name, ...)</c>, one per named function.</summary>
internal sealed record RegisteredFunction(string Name);
