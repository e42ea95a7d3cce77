using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>One SSE event as a client sees it: the event: name (if any) and the data: payload.</summary>
public sealed record SseEvent(string? Event, string Data)
{
    public JsonNode Json() => JsonNode.Parse(Data)!;
}

/// <summary>Plain-HttpClient plumbing for talking to the fake the way each provider's clients do.</summary>
public static class FakeClient
{
    /// <summary>A POST with the provider's auth header (none when key is null) and a JSON body.</summary>
    public static HttpRequestMessage Post(FakeProvider provider, string path, string json, string? key = FakeUpstream.ApiKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        Authorize(request, provider, key);
        return request;
    }

    public static HttpRequestMessage Get(FakeProvider provider, string path, string? key = FakeUpstream.ApiKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        Authorize(request, provider, key);
        return request;
    }

    /// <summary>Reads SSE events into <paramref name="into"/> until the body ends; a cut body throws, keeping what came.</summary>
    public static async Task ReadEventsAsync(HttpResponseMessage response, List<SseEvent> into)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? name = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                    into.Add(new SseEvent(name, data.ToString()));
                (name, data) = (null, new StringBuilder());
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
                name = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
                data.Append(line["data: ".Length..]);
        }
    }

    public static async Task<List<SseEvent>> ReadEventsAsync(HttpResponseMessage response)
    {
        var events = new List<SseEvent>();
        await ReadEventsAsync(response, events);
        return events;
    }

    private static void Authorize(HttpRequestMessage request, FakeProvider provider, string? key)
    {
        if (key is null)
            return;
        switch (provider)
        {
            case FakeProvider.OpenAI:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                break;
            case FakeProvider.AzureOpenAI:
                request.Headers.Add("api-key", key);
                break;
            case FakeProvider.Anthropic:
                request.Headers.Add("x-api-key", key);
                request.Headers.Add("anthropic-version", "2023-06-01");
                break;
            case FakeProvider.Gemini:
                request.Headers.Add("x-goog-api-key", key);
                break;
        }
    }
}
