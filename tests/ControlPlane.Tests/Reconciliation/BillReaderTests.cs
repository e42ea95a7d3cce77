using System.Text;
using ControlPlane.Features.Reconciliation;

namespace ControlPlane.Tests.Reconciliation;

/// <summary>Each provider's report read into the one shape, from fixture files with the providers' real field names; malformed files named by line and field.</summary>
public sealed class BillReaderTests
{
    private static readonly DateOnly Day = new(2026, 11, 15);

    [Fact]
    public void OpenAI_usage_buckets_become_lines_per_model_with_tokens_requests_and_no_money()
    {
        var lines = Read(BillFormats.OpenAIUsage, "openai-usage.json");

        Assert.Equal(4, lines.Count);
        var gpt4o = lines.Single(l => l.Model == "gpt-4o");
        Assert.Equal((Day, 100000L, 20000L, 40L, (decimal?)null), (gpt4o.Day, gpt4o.InputTokens!.Value, gpt4o.OutputTokens!.Value, gpt4o.Requests!.Value, gpt4o.Cost));
        Assert.Equal("key_abc", lines.Single(l => l.Model == "gpt-4.1").Scope); // the api key id, else the project
    }

    [Fact]
    public void OpenAI_costs_read_exact_decimals_and_the_model_of_each_line_item()
    {
        var lines = Read(BillFormats.OpenAICosts, "openai-costs.json");

        Assert.Equal(12.50m, lines.Where(l => l.Model == "gpt-4o").Sum(l => l.Cost!.Value));
        Assert.Equal(0.8m, lines.Single(l => l.Model == "gpt-9-preview").Cost);
        Assert.All(lines, l => Assert.Equal("USD", l.Currency));
        Assert.Equal("proj_abc", lines.Single(l => l.Model == "gpt-4.1").Scope);
        Assert.Null(lines[0].InputTokens);
    }

    [Fact]
    public void Anthropic_usage_counts_cached_and_cache_written_input_and_costs_are_cents()
    {
        var usage = Read(BillFormats.AnthropicUsage, "anthropic-usage.json").Single();
        Assert.Equal(("claude-sonnet-4-20250514", 1500L + 200 + 1000 + 500, 500L), (usage.Model, usage.InputTokens!.Value, usage.OutputTokens!.Value));
        Assert.Null(usage.Requests); // the usage report has no request counts
        Assert.Equal("apikey_01Rj2N8SVvo6BePZj99NhmiT", usage.Scope);

        var costs = Read(BillFormats.AnthropicCosts, "anthropic-costs.json");
        Assert.Equal(1.2378912m + 2.50m, costs.Where(l => l.Model == "claude-sonnet-4-20250514").Sum(l => l.Cost!.Value));
        Assert.Equal(0.40m, costs.Single(l => l.Model == "web_search").Cost); // no model: named by its cost type
    }

    [Fact]
    public void Azure_export_keeps_openai_meters_and_reads_model_direction_and_unit()
    {
        var lines = Read(BillFormats.AzureCsv, "azure-export.csv");

        Assert.Equal(3, lines.Count); // the storage row is another service
        var input = lines.Single(l => l.Model == "gpt-4o-0806" && l.InputTokens > 0);
        Assert.Equal((100_000L, 0L, 0.25m, "USD", Day), (input.InputTokens!.Value, input.OutputTokens!.Value, input.Cost!.Value, input.Currency!, input.Day));
        Assert.Equal(20_000L, lines.Single(l => l.Model == "gpt-4o-0806" && l.OutputTokens > 0).OutputTokens);
        var mini = lines.Single(l => l.Model == "gpt-4o-mini");
        Assert.Equal((500_000L, new DateOnly(2026, 11, 16)), (mini.InputTokens!.Value, mini.Day));
    }

    [Fact]
    public void Generic_csv_keeps_the_provider_s_lines_only()
    {
        var lines = BillReader.Read(BillFormats.GenericCsv, Fixture("generic-exact.csv", "acme-openai"), "acme-openai");

        Assert.Equal(3, lines.Count);
        Assert.Equal(19.50m, lines.Sum(l => l.Cost!.Value));
    }

    [Theory]
    [InlineData("date,provider,model,input_tokens,output_tokens,requests,cost,currency\n2026-11-15,p,gpt-4o,12x,1,1,1.00,USD\n", "Line 2, column 'input_tokens': '12x' is not a whole number")]
    [InlineData("date,provider,model,input_tokens,output_tokens,requests,cost,currency\n2026-11-15,p,gpt-4o,1,1,1,1.00,USD\n15/11/2026,p,gpt-4o,1,1,1,1.00,USD\n", "Line 3, column 'date': '15/11/2026' is not a date")]
    [InlineData("date,provider,model,input_tokens,output_tokens,requests,currency\n", "Line 1: the header has no 'cost' column")]
    [InlineData("date,provider,model,input_tokens,output_tokens,requests,cost,currency\n2026-11-15,p,gpt-4o,1,1,1,one,USD\n", "Line 2, column 'cost': 'one' is not a number")]
    [InlineData("date,provider,model,input_tokens,output_tokens,requests,cost,currency,key\n2026-11-15,p,gpt-4o,1,1,1,1,USD,abc\n", "Line 2, column 'key': 'abc' is not a key id")]
    public void A_malformed_generic_csv_is_refused_naming_the_line_and_column(string csv, string expected)
    {
        var error = Assert.Throws<BillFormatException>(() => BillReader.Read(BillFormats.GenericCsv, new MemoryStream(Encoding.UTF8.GetBytes(csv)), "p"));
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"data\": [{\"start_time\": 1794700800, \"results\": [{\"input_tokens\": -3, \"model\": \"gpt-4o\"}]}]}", "data[0].results[0].input_tokens: expected a whole number")]
    [InlineData("{\"data\": [{\"start_time\": 1794700800, \"results\": [{\"input_tokens\": 3}]}]}", "data[0].results[0].model: missing; ask the usage API with group_by=model")]
    [InlineData("{\"data\": [{\"results\": []}]}", "data[0].start_time: expected Unix seconds")]
    [InlineData("{\"object\": \"page\"}", "Expected a JSON object with a \"data\" array")]
    [InlineData("{\"data\": [", "Not valid JSON")]
    public void A_malformed_openai_report_is_refused_naming_the_json_path(string json, string expected)
    {
        var error = Assert.Throws<BillFormatException>(() => BillReader.Read(BillFormats.OpenAIUsage, new MemoryStream(Encoding.UTF8.GetBytes(json)), "p"));
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_anthropic_cost_without_an_amount_is_refused_naming_the_field()
    {
        const string json = "{\"data\": [{\"starting_at\": \"2026-11-15T00:00:00Z\", \"results\": [{\"currency\": \"USD\", \"amount\": \"lots\", \"model\": \"claude\"}]}]}";
        var error = Assert.Throws<BillFormatException>(() => BillReader.Read(BillFormats.AnthropicCosts, new MemoryStream(Encoding.UTF8.GetBytes(json)), "p"));
        Assert.Equal("data[0].results[0].amount: expected an amount, found \"lots\".", error.Message);
    }

    internal static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Reconciliation", "Fixtures", name);

    /// <summary>A fixture file, with "{provider}" replaced by the provider a test made.</summary>
    internal static MemoryStream Fixture(string name, string provider = "") =>
        new(Encoding.UTF8.GetBytes(File.ReadAllText(FixturePath(name)).Replace("{provider}", provider, StringComparison.Ordinal)));

    private static IReadOnlyList<BillLine> Read(string format, string fixture) => BillReader.Read(format, Fixture(fixture), "p");
}
