using AzureFunctionsInvoker.Forwarding;
using NetArchTest.Rules;

namespace AzureFunctionsInvoker.Tests;

/// <summary>
/// The library's folders depend one way, as docs/architecture.md draws them: the entry points (the root's extension
/// methods and mount) at the top, then what a function is, then failover, then one exchange, then Durable links, then
/// the pure rewriters, connections and metrics; the root's public options and interfaces below everything. A type in a lower folder naming one in a higher folder (or
/// one beside it) fails here, read from the compiled assembly, compiler-generated types included.
/// </summary>
public sealed class LayeringTests
{
    // Each folder with the folders it may use; any other folder is forbidden to it.
    private static readonly Dictionary<string, string[]> s_allowed = new()
    {
        ["FunctionsProxies"] = ["Functions", "Validation", "Failover", "Forwarding", "DurableLinks", "Rewriting", "Connections", "Diagnostics"],
        ["Health"] = ["Functions", "Failover", "Forwarding", "DurableLinks", "Rewriting", "Connections", "Validation", "Diagnostics"],
        ["Functions"] = ["Validation", "Failover", "Forwarding", "DurableLinks", "Rewriting", "Connections", "Diagnostics"],
        ["Validation"] = [],
        ["Failover"] = ["Forwarding", "DurableLinks", "Rewriting", "Connections", "Diagnostics"],
        ["Forwarding"] = ["DurableLinks", "Rewriting", "Connections", "Diagnostics"],
        ["DurableLinks"] = ["Rewriting", "Connections"],
        ["Rewriting"] = [],
        ["Connections"] = [],
        ["Diagnostics"] = [],
        ["Authentication"] = [],
    };

    public static TheoryData<string> Folders => new(s_allowed.Keys);

    [Theory]
    [MemberData(nameof(Folders))]
    public void A_folder_uses_only_the_folders_below_it(string folder)
    {
        var forbidden = s_allowed.Keys.Except(s_allowed[folder]).Where(other => other != folder).Select(Namespace).ToArray();

        var result = Types.InAssembly(typeof(ForwarderError).Assembly)
            // Matched whole: "Functions" is a prefix of "FunctionsProxies".
            .That().ResideInNamespaceMatching($"^{System.Text.RegularExpressions.Regex.Escape(Namespace(folder))}(\\.|$)")
            .ShouldNot().HaveDependencyOnAny(forbidden)
            .GetResult();

        Assert.True(result.IsSuccessful, $"{folder} uses a folder above or beside it: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void The_roots_entry_points_are_above_every_folder_and_its_model_below()
    {
        // As layers.py splits the root: the files that use a folder are the entry points ("(root)"), which no folder may
        // use; the others (the public options and interfaces, "(root model)") are data every folder may read.
        var assembly = typeof(ForwarderError).Assembly;
        var entryPoints = Types.InAssembly(assembly)
            .That().ResideInNamespaceMatching("^AzureFunctionsInvoker$")
            .And().HaveDependencyOnAny([.. s_allowed.Keys.Select(Namespace)])
            .GetTypes()
            .Select(type => type.FullName!)
            .ToArray();

        var result = Types.InAssembly(assembly)
            .That().ResideInNamespaceStartingWith("AzureFunctionsInvoker.")
            .ShouldNot().HaveDependencyOnAny(entryPoints)
            .GetResult();

        Assert.NotEmpty(entryPoints);
        Assert.True(result.IsSuccessful, $"A folder uses an entry point of the root: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void Every_folder_of_the_library_has_a_place_in_the_layers()
    {
        var folders = typeof(ForwarderError).Assembly.GetTypes()
            .Select(t => t.Namespace)
            .OfType<string>()
            .Where(ns => ns.StartsWith("AzureFunctionsInvoker.", StringComparison.Ordinal))
            .Select(ns => ns["AzureFunctionsInvoker.".Length..].Split('.')[0])
            .ToHashSet();

        Assert.Subset(s_allowed.Keys.ToHashSet(), folders);
    }

    private static string Namespace(string folder) => $"AzureFunctionsInvoker.{folder}";
}
