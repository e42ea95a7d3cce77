namespace ControlPlane.Features.Reconciliation;

/// <summary>
/// One line of a provider's own bill, whatever the report it came from: a UTC day, a model, optionally the provider's
/// scope (an OpenAI project or API key, an Anthropic API key or workspace) or one of our keys (generic CSV), and what
/// the provider counted. A usage report knows tokens and requests but not money; a cost report knows money but not
/// tokens: what a report does not say is null, never zero.
/// </summary>
public sealed record BillLine(
    DateOnly Day,
    string Model,
    string? Scope,
    long? InputTokens,
    long? OutputTokens,
    long? Requests,
    decimal? Cost,
    string? Currency)
{
    /// <summary>Set by the generic CSV's <c>key</c> column: one of our virtual keys (its id), compared per key.</summary>
    public Guid? KeyId { get; init; }

    /// <summary>
    /// The provider-side id that contains <see cref="Scope"/> when the report names both: the OpenAI project of an API
    /// key, the Anthropic workspace of an API key.
    /// </summary>
    public string? ParentScope { get; init; }

    /// <summary>The provider-side ids this line is under (its key, then its project or workspace).</summary>
    public IEnumerable<string> Scopes => new[] { Scope, ParentScope }.OfType<string>();
}

/// <summary>The reports the importer reads. The names are what the upload form and the API take.</summary>
public static class BillFormats
{
    public const string OpenAIUsage = "openai-usage";
    public const string OpenAICosts = "openai-costs";
    public const string AnthropicUsage = "anthropic-usage";
    public const string AnthropicCosts = "anthropic-costs";
    public const string AzureCsv = "azure-csv";
    public const string GenericCsv = "generic-csv";

    public static IReadOnlyList<string> All { get; } = [OpenAIUsage, OpenAICosts, AnthropicUsage, AnthropicCosts, AzureCsv, GenericCsv];

    public static string Title(string format) => format switch
    {
        OpenAIUsage => "OpenAI usage API (completions) JSON",
        OpenAICosts => "OpenAI costs API JSON",
        AnthropicUsage => "Anthropic usage report (messages) JSON",
        AnthropicCosts => "Anthropic cost report JSON",
        AzureCsv => "Azure Cost Management export CSV",
        GenericCsv => "Generic CSV (date,provider,model,input_tokens,output_tokens,requests,cost,currency[,key])",
        _ => format,
    };
}

/// <summary>A bill that cannot be read, with where: the line (CSV) or the JSON path, and the field.</summary>
public sealed class BillFormatException(string message) : Exception(message);
