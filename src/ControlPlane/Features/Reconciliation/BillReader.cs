namespace ControlPlane.Features.Reconciliation;

/// <summary>Reads a bill of any of <see cref="BillFormats"/> into lines; a malformed file throws <see cref="BillFormatException"/>.</summary>
public static class BillReader
{
    /// <summary>
    /// The lines of <paramref name="content"/>. <paramref name="provider"/> is our provider's name: a generic CSV names
    /// a provider on each line, and only that provider's lines are kept.
    /// </summary>
    public static IReadOnlyList<BillLine> Read(string format, Stream content, string provider) => format switch
    {
        BillFormats.OpenAIUsage => OpenAIReports.ReadUsage(content),
        BillFormats.OpenAICosts => OpenAIReports.ReadCosts(content),
        BillFormats.AnthropicUsage => AnthropicReports.ReadUsage(content),
        BillFormats.AnthropicCosts => AnthropicReports.ReadCosts(content),
        BillFormats.AzureCsv => AzureCostExport.Read(content),
        BillFormats.GenericCsv => GenericBillCsv.Read(content, provider),
        _ => throw new BillFormatException($"Unknown report format '{format}'; use one of {string.Join(", ", BillFormats.All)}."),
    };
}
