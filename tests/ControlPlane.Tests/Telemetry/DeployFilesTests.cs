using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Tests.Gateway.FakeUpstream;
using Microsoft.Extensions.DependencyInjection;
using YamlDotNet.RepresentationModel;

namespace ControlPlane.Tests.Telemetry;

public sealed class DeployGatewayApp() : TelemetryGatewayApp("dep");

/// <summary>
/// deploy/grafana/controlplane.json and deploy/prometheus/alerts.yml parse, and every metric they query is one the app
/// exposes: checked against a real scrape after calls that exercise every kind of series (served, streamed, retried,
/// failed over, failed; a provider's health; the runtime's own).
/// </summary>
[Collection(nameof(TelemetryRunsAlone))]
public sealed partial class DeployFilesTests(DeployGatewayApp gateway) : IClassFixture<DeployGatewayApp>
{
    [GeneratedRegex(@"\b(?:controlplane|dotnet)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();

    [Fact]
    public void The_dashboard_is_grafana_json_with_a_query_in_every_panel()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(RepositoryFile("deploy/grafana/controlplane.json")));
        var root = dashboard.RootElement;
        Assert.Equal("controlplane", root.GetProperty("uid").GetString());
        var panels = root.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row").ToList();
        Assert.True(panels.Count >= 15, $"only {panels.Count} panels");
        Assert.All(panels, p => Assert.Contains(p.GetProperty("targets").EnumerateArray(), t => !string.IsNullOrWhiteSpace(t.GetProperty("expr").GetString())));
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
    }

    [Fact]
    public void The_alert_rules_are_prometheus_rule_groups_covering_wallets_providers_and_the_writer()
    {
        var rules = AlertRules().ToList();
        Assert.All(rules, r =>
        {
            Assert.False(string.IsNullOrWhiteSpace(r.Expr), $"{r.Alert} has no expr");
            Assert.Contains(r.Severity, (string[])["info", "warning", "critical"]);
            Assert.False(string.IsNullOrWhiteSpace(r.Summary), $"{r.Alert} has no summary");
        });
        var names = rules.Select(r => r.Alert).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Contains("WalletNearExhaustion", names);
        Assert.Contains("ProviderErrorRateHigh", names);
        Assert.Contains("CallLogWriterLagging", names);
    }

    [Fact]
    public async Task Every_metric_the_dashboard_and_the_alerts_query_is_exposed()
    {
        await ExerciseEverySeriesAsync();
        var scrape = await gateway.ScrapeAsync();

        var queried = DashboardQueries().Concat(AlertRules().Select(r => r.Expr))
            .SelectMany(q => MetricName().Matches(q).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);

        Assert.True(queried.Count >= 20, $"only {queried.Count} metric names found in the files");
        var missing = queried.Where(n => !scrape.Names.Contains(n)).Order().ToList();
        Assert.True(missing.Count == 0, $"queried but not exposed: {string.Join(", ", missing)}");
    }

    /// <summary>Calls that make every series appear: counters and histograms exist from their first measurement.</summary>
    private async Task ExerciseEverySeriesAsync()
    {
        gateway.Upstream.Reset();
        using var client = gateway.Client(gateway.Key);
        await PostAsync(client, $$"""{"model":"{{gateway.Alias}}","messages":[{"role":"user","content":"plain"}]}""");
        await PostAsync(client, $$"""{"model":"{{gateway.Alias}}","stream":true,"messages":[{"role":"user","content":"streamed"}]}""");
        gateway.Upstream.Always(FakeReply.Error(500, "primary down"), FakeProvider.AzureOpenAI);
        await PostAsync(client, $$"""{"model":"{{gateway.FailoverAlias}}","messages":[{"role":"user","content":"failover"}]}""");
        var last = await PostAsync(client, $$"""{"model":"{{gateway.BrokenAlias}}","messages":[{"role":"user","content":"broken"}]}""");
        await gateway.CallAsync(last);
        gateway.Upstream.Reset();
        var primary = gateway.App.Services.GetRequiredService<GatewayCatalog>().Current.Models[gateway.FailoverAlias].Targets[0].Provider;
        var now = DateTime.UtcNow;
        gateway.App.Services.GetRequiredService<ProviderHealthBoard>().Apply(new ProviderHealthChanged(primary.Id, primary.Name, ProviderHealthStates.Down, now, now, "test"));
    }

    private static async Task<string> PostAsync(HttpClient client, string body)
    {
        var response = await client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        await response.Content.ReadAsStringAsync();
        Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
        return response.Headers.GetValues("X-Request-Id").Single();
    }

    private static List<string> DashboardQueries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(RepositoryFile("deploy/grafana/controlplane.json")));
        var found = new List<string>();
        Walk(dashboard.RootElement);
        return found;

        void Walk(JsonElement element)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name is "expr" or "definition" && property.Value.ValueKind == JsonValueKind.String) found.Add(property.Value.GetString()!);
                    Walk(property.Value);
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray()) Walk(item);
            }
        }
    }

    private sealed record AlertRule(string Alert, string Expr, string Severity, string Summary);

    private static IEnumerable<AlertRule> AlertRules()
    {
        var yaml = new YamlStream();
        using (var reader = new StringReader(File.ReadAllText(RepositoryFile("deploy/prometheus/alerts.yml")))) yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents.Single().RootNode;
        foreach (var group in ((YamlSequenceNode)root["groups"]).Cast<YamlMappingNode>())
        {
            Assert.False(string.IsNullOrWhiteSpace(((YamlScalarNode)group["name"]).Value));
            foreach (var rule in ((YamlSequenceNode)group["rules"]).Cast<YamlMappingNode>())
            {
                yield return new AlertRule(
                    Scalar(rule, "alert"), Scalar(rule, "expr"),
                    Scalar((YamlMappingNode)rule["labels"], "severity"), Scalar((YamlMappingNode)rule["annotations"], "summary"));
            }
        }
    }

    private static string Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value ?? "" : "";

    private static string RepositoryFile(string path)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ControlPlane.sln"))) return Path.Combine(dir.FullName, path);
        throw new InvalidOperationException($"No ControlPlane.sln above {AppContext.BaseDirectory}.");
    }
}
