using System.Globalization;
using System.Text;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Features.Experiments;

/// <summary>
/// The gateway's two experiment steps. Before routing: a call matching a shadow test may be sampled (its request kept
/// for later), and a call matching an experiment gets its variant: the requested model and the variant's parameter
/// overrides are written into the body sent upstream, and the row names the experiment and variant. After the relay:
/// a sampled call's shadow is handed to the <see cref="ShadowRunner"/> once the response has completed, so the caller
/// never waits for it.
/// </summary>
public sealed class CallExperiments(ExperimentBook book, ShadowRunner shadows)
{
    /// <summary>The inspected request, rewritten for the call's variant when an experiment matched.</summary>
    public RequestInfo BeforeRouting(HttpContext http, GatewayCall call, RequestBody body, RequestInfo info)
    {
        var current = book.Current;
        if (current.IsEmpty || call.Key is not { } key) return info;
        var tags = http.Request.Headers[CallScope.TagsHeader].ToString();

        if (current.Shadows.TryGetValue(info.Model, out var candidates))
        {
            foreach (var shadow in candidates)
            {
                if (!shadow.Scope.Matches(key, tags) || !Sampled(shadow.SamplePercent)) continue;
                http.Features.Set(new ShadowTicket(shadow, body.Span.ToArray(), call.FrontDoor));
                call.CapturesAnswer = true;
                break;
            }
        }

        if (!current.Experiments.TryGetValue(info.Model, out var experiments)) return info;
        foreach (var experiment in experiments)
        {
            if (!experiment.Scope.Matches(key, tags)) continue;
            var variant = experiment.Assign(StickyId(experiment.StickyBy, call, info));
            var rewritten = TopLevelFields.Set(body.Span, Edits(variant));
            // The overrides were checked when saved; a body they would make invalid keeps the caller's request as it was.
            if (!WireTranslation.TryInspect(rewritten, call.FrontDoor, out var changed, out _)) return info;
            body.Replace(rewritten);
            call.Record.ExperimentId = experiment.Id;
            call.Record.ExperimentVariant = variant.Name;
            return changed!;
        }
        return info;
    }

    /// <summary>A sampled call whose primary answer was served goes to its shadow once the response has completed.</summary>
    public void AfterRelay(HttpContext http, GatewayCall call)
    {
        if (http.Features.Get<ShadowTicket>() is not { } ticket) return;
        http.Response.OnCompleted(() =>
        {
            if (call.Record.Status == 200) shadows.Offer(ticket, call);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// The body edits of a variant: the model, then each override. A prompt-version variant (prompt registry) adds its
    /// rendered messages here as one more edit.
    /// </summary>
    public static IReadOnlyList<TopLevelFields.Edit> Edits(LiveVariant variant)
    {
        var edits = new List<TopLevelFields.Edit>(3) { new("model", JsonWire.QuotedString(variant.TargetAlias)) };
        if (variant.Temperature is { } temperature)
            edits.Add(new("temperature", Encoding.UTF8.GetBytes(temperature.ToString(CultureInfo.InvariantCulture))));
        if (variant.MaxTokens is { } maxTokens)
        {
            // OpenAI's newer name is replaced where the caller used it; otherwise max_tokens (both front doors' name).
            var cap = Encoding.UTF8.GetBytes(maxTokens.ToString(CultureInfo.InvariantCulture));
            edits.Add(new("max_completion_tokens", cap, AddIfMissing: false));
            edits.Add(new("max_tokens", cap, UnlessPresent: "max_completion_tokens"));
        }
        return edits;
    }

    /// <summary>Whose calls stay together: the end user (else the caller), or the caller (else the key).</summary>
    public static string StickyId(StickyBy by, GatewayCall call, RequestInfo info) =>
        (by == StickyBy.EndUser ? info.EndUser : null) ?? call.Record.Caller ?? call.Key?.Id.ToString() ?? "";

    private static bool Sampled(decimal percent) =>
        percent >= 100 || (percent > 0 && (decimal)Random.Shared.NextDouble() * 100 < percent);
}
