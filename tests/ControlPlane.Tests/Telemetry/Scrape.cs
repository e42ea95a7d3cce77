using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace ControlPlane.Tests.Telemetry;

/// <summary>One sample of a Prometheus text exposition: its name, labels and value.</summary>
public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    /// <summary>True when every given label has the given value (other labels may be present).</summary>
    public bool Has(params (string Label, string Value)[] labels) =>
        labels.All(l => Labels.TryGetValue(l.Label, out var v) && v == l.Value);
}

/// <summary>A scrape of /metrics, parsed (Prometheus text format 0.0.4: comments, then name{labels} value).</summary>
public sealed class Scrape(IReadOnlyList<Sample> samples, string text)
{
    public IReadOnlyList<Sample> Samples => samples;
    public string Text => text;

    /// <summary>Every sample name in the scrape (histograms as their _bucket, _sum and _count series).</summary>
    public IReadOnlySet<string> Names => samples.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The sum over the samples of <paramref name="name"/> that carry the given labels (0 when there are none).</summary>
    public double Sum(string name, params (string Label, string Value)[] labels) =>
        samples.Where(s => s.Name == name && s.Has(labels)).Sum(s => s.Value);

    public IEnumerable<Sample> Of(string name, params (string Label, string Value)[] labels) =>
        samples.Where(s => s.Name == name && s.Has(labels));

    public static async Task<Scrape> TakeAsync(HttpClient client, string? token, string url = "/metrics")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {body}");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return Parse(body);
    }

    public static Scrape Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            samples.Add(ParseLine(line));
        }
        return new Scrape(samples, text);
    }

    private static Sample ParseLine(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        var name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                var label = line[i..eq];
                i = eq + 2; // past ="
                var value = new StringBuilder();
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] switch { 'n' => '\n', var c => c });
                    }
                    else
                    {
                        value.Append(line[i]);
                    }
                    i++;
                }
                labels[label] = value.ToString();
                i++; // past the closing quote
                if (line[i] == ',') i++;
            }
            i++; // past }
        }
        var rest = line[i..].Trim().Split(' ');
        var number = rest[0] switch { "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, "NaN" => double.NaN, var v => double.Parse(v, CultureInfo.InvariantCulture) };
        return new Sample(name, labels, number);
    }
}
