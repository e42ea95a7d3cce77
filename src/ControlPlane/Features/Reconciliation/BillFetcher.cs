using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ControlPlane.Features.Reconciliation;

/// <summary>
/// Fetches one UTC day of a provider's usage and cost reports from its admin API, following <c>has_more</c> /
/// <c>next_page</c> through every page. The admin key goes in a header only; it is never logged, and an error names
/// the endpoint and status, never the key.
/// </summary>
public sealed class BillFetcher(IHttpClientFactory httpFactory)
{
    public const string HttpClientName = "reconciliation";
    public const string AnthropicVersion = "2023-06-01";
    /// <summary>A guard against a server that never stops saying has_more.</summary>
    public const int MaxPages = 100;

    public async Task<IReadOnlyList<BillLine>> FetchDayAsync(string api, string baseUrl, string adminKey, DateOnly day, CancellationToken ct)
    {
        var from = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var to = from.AddDays(1);
        var lines = new List<BillLine>();
        if (api == BillApis.OpenAI)
        {
            var range = $"start_time={new DateTimeOffset(from).ToUnixTimeSeconds()}&end_time={new DateTimeOffset(to).ToUnixTimeSeconds()}&bucket_width=1d";
            lines.AddRange(await PagesAsync(api, baseUrl, adminKey, $"/v1/organization/usage/completions?{range}&group_by=model&group_by=project_id&group_by=api_key_id&limit=31", OpenAIReports.ReadUsagePage, ct));
            lines.AddRange(await PagesAsync(api, baseUrl, adminKey, $"/v1/organization/costs?{range}&group_by=line_item&group_by=project_id&limit=31", OpenAIReports.ReadCostsPage, ct));
        }
        else if (api == BillApis.Anthropic)
        {
            var range = $"starting_at={Uri.EscapeDataString(Iso(from))}&ending_at={Uri.EscapeDataString(Iso(to))}&bucket_width=1d";
            lines.AddRange(await PagesAsync(api, baseUrl, adminKey, $"/v1/organizations/usage_report/messages?{range}&group_by%5B%5D=model&group_by%5B%5D=api_key_id&group_by%5B%5D=workspace_id&limit=31", AnthropicReports.ReadUsagePage, ct));
            lines.AddRange(await PagesAsync(api, baseUrl, adminKey, $"/v1/organizations/cost_report?{range}&group_by%5B%5D=description&group_by%5B%5D=workspace_id&limit=31", AnthropicReports.ReadCostsPage, ct));
        }
        else
        {
            throw new BillFormatException($"Unknown admin API '{api}'; use one of {string.Join(", ", BillApis.All)}.");
        }
        // A bucket the API returns around the asked range is not this day's bill.
        return [.. lines.Where(l => l.Day == day)];
    }

    private async Task<List<BillLine>> PagesAsync(string api, string baseUrl, string adminKey, string pathAndQuery,
        Func<JsonDocument, List<BillLine>> read, CancellationToken ct)
    {
        var http = httpFactory.CreateClient(HttpClientName);
        var lines = new List<BillLine>();
        string? page = null;
        for (var n = 0; n < MaxPages; n++)
        {
            var path = page is null ? pathAndQuery : $"{pathAndQuery}&page={Uri.EscapeDataString(page)}";
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl.TrimEnd('/') + path));
            if (api == BillApis.Anthropic)
            {
                request.Headers.Add("x-api-key", adminKey);
                request.Headers.Add("anthropic-version", AnthropicVersion);
            }
            else
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
            }
            using var response = await http.SendAsync(request, ct);
            var endpoint = pathAndQuery[..pathAndQuery.IndexOf('?', StringComparison.Ordinal)];
            if (!response.IsSuccessStatusCode)
                throw new BillFetchException($"{api} {endpoint} answered {(int)response.StatusCode} {response.ReasonPhrase}"
                    + (response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden ? ": check the admin key." : "."));
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            using var document = BillJson.Parse(body);
            lines.AddRange(read(document));
            page = BillJson.NextPage(document);
            if (page is null) return lines;
        }
        throw new BillFetchException($"{api} kept saying has_more after {MaxPages} pages; stopped.");
    }

    private static string Iso(DateTime at) => at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>The provider's API could not be read (status, paging); says which endpoint and never carries the key.</summary>
public sealed class BillFetchException(string message) : Exception(message);
