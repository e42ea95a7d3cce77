using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Features.Gateway;

/// <summary>Writes an error in the caller's own format (OpenAI's or Anthropic's), with the request id.</summary>
public static class GatewayErrors
{
    public static async Task WriteAsync(HttpContext http, GatewayCall call, WireError error)
    {
        if (http.Response.HasStarted) return;
        http.Response.StatusCode = error.Status;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(WireTranslation.ErrorBody(call.FrontDoor, error), http.RequestAborted);
    }

    /// <summary>Refuses the call: the row keeps the status and a stable word for what happened.</summary>
    public static Task RefuseAsync(HttpContext http, GatewayCall call, WireError error, string errorClass)
    {
        call.Record.Status = error.Status;
        call.Record.ErrorClass = errorClass;
        return WriteAsync(http, call, error);
    }

    /// <summary>
    /// 402 when a wallet cannot cover the call: the error in the caller's format, plus a machine-readable
    /// <c>wallet</c> object (name, limit, spent, available, when the period ends) and where to ask for more.
    /// </summary>
    public static async Task RefuseBudgetAsync(HttpContext http, GatewayCall call, HoldRefusal refusal)
    {
        call.Record.Status = StatusCodes.Status402PaymentRequired;
        call.Record.ErrorClass = "budget_exhausted";
        if (http.Response.HasStarted) return;
        http.Response.StatusCode = StatusCodes.Status402PaymentRequired;
        http.Response.ContentType = "application/json";
        await using var json = new System.Text.Json.Utf8JsonWriter(http.Response.Body);
        json.WriteStartObject();
        if (call.FrontDoor == WireFormat.AnthropicMessages) json.WriteString("type", "error");
        json.WriteStartObject("error");
        json.WriteString("type", call.FrontDoor == WireFormat.AnthropicMessages ? "billing_error" : "insufficient_quota");
        json.WriteString("code", "budget_exhausted");
        json.WriteString("message", refusal.Message);
        json.WriteStartObject("wallet");
        if (refusal.Shown && refusal.WalletId is { } walletId) json.WriteString("id", walletId);
        json.WriteString("name", refusal.WalletName);
        if (refusal.Shown)
        {
            json.WriteString("limit", Money(refusal.Limit));
            json.WriteString("ceiling", Money(refusal.Ceiling ?? refusal.Limit)); // limit plus overdraft
            json.WriteString("spent", Money(refusal.Spent));
            json.WriteString("leased", Money(refusal.Leased)); // held by gateway nodes for calls in flight
            json.WriteString("available", Money(refusal.Available)); // ceiling - spent - leased
        }
        else
        {
            // A parent team's or the organisation's wallet: named, not measured (its numbers are not the key holder's).
            foreach (var hidden in (ReadOnlySpan<string>)["limit", "ceiling", "spent", "leased", "available"]) json.WriteNull(hidden);
        }
        if (refusal.PeriodEndsAt is { } ends)
        {
            json.WriteString("period_ends_at", ends);
            json.WriteString("resets_at", ends);
        }
        else
        {
            json.WriteNull("period_ends_at");
            json.WriteNull("resets_at");
        }
        json.WriteString("currency", "USD");
        json.WriteEndObject();
        json.WriteString("request_transfer", TransferLink(http, refusal));
        if (refusal.Shown && refusal.SuggestedTransfer is { } suggested) json.WriteString("suggested_transfer", Money(suggested));
        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted);
    }

    /// <summary>
    /// The transfer request for the exhausted wallet, pre-filled (its id and a suggested amount) when the key's holder may
    /// see it: absolute on the dashboard's public URL (Auth:SignInLinks:PublicUrl) when one is configured, else a path
    /// (behind a proxy the request's own host may not be the dashboard's).
    /// </summary>
    internal static string TransferLink(HttpContext http, HoldRefusal refusal)
    {
        var path = refusal.Shown && refusal.WalletId is { } id
            ? $"/transfers/new?wallet={id}" + (refusal.SuggestedTransfer is { } amount ? $"&amount={Money(amount)}" : "")
            : "/transfers/new";
        var publicUrl = http.RequestServices.GetService<Microsoft.Extensions.Options.IOptions<People.SignInLinkOptions>>()?.Value.PublicUrl;
        return publicUrl is { Length: > 0 } ? publicUrl.TrimEnd('/') + path : path;
    }

    private static string Money(decimal value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What the caller is told when a provider refused or failed, and the word the call log keeps.</summary>
    public static (WireError Error, string ErrorClass) FromProvider(int status, string provider, WireError? providerError, TimeSpan? retryAfter)
    {
        var said = providerError?.Message is { Length: > 0 } m ? m : "no details";
        return status switch
        {
            429 => (new WireError(429, "rate_limit_error", $"The provider {provider} is rate limiting: {said}" + (retryAfter is { } r ? $" Retry after {r.TotalSeconds:0} s." : "")), "upstream_rate_limited"),
            401 or 403 => (new WireError(502, "api_error", $"The provider {provider} refused ControlPlane's credentials; an admin must check its API key on the Providers page."), "upstream_auth"),
            400 or 404 or 413 or 422 => (new WireError(status, "invalid_request_error", $"The provider {provider} refused the request: {said}", Param: providerError?.Param, Code: providerError?.Code), "upstream_refused"),
            _ => (new WireError(502, "api_error", $"The provider {provider} answered {status}: {said}"), "upstream_error"),
        };
    }

    /// <summary>What the caller is told when sending to a provider failed before any answer was relayed.</summary>
    public static async Task<(WireError Error, string ErrorClass, TimeSpan? RetryAfter)> DescribeFailureAsync(
        SendOutcome outcome, string provider, WireFormat providerFormat, CancellationToken ct)
    {
        switch (outcome.Failure)
        {
            case SendFailure.TimedOut:
                return (new WireError(504, "api_error", $"The provider {provider} did not answer in time ({outcome.Detail})."), "upstream_timeout", null);
            case SendFailure.CircuitOpen:
                return (new WireError(503, "overloaded_error", $"The provider {provider} has been failing and is skipped for a few seconds; try again shortly."), "upstream_circuit_open", null);
            case SendFailure.Unreachable:
                return (new WireError(502, "api_error", $"The provider {provider} could not be reached: {outcome.Detail}"), "upstream_unreachable", null);
            case SendFailure.AddressNotAllowed:
                return (new WireError(502, "api_error", $"The provider {provider} was not called: {outcome.Detail}; an admin must allow its address or correct the provider."), "upstream_address_not_allowed", null);
        }
        var response = outcome.Response!;
        var status = (int)response.StatusCode;
        if (status is >= 300 and < 400)
            return (new WireError(502, "api_error", $"The provider {provider} answered with a redirect (HTTP {status}), which ControlPlane does not follow; an admin must set its base URL to the final address."), "upstream_redirect", null);
        // Only the start of an error body is read: its message is all that is used.
        var bytes = await ReadPrefixAsync(response, ErrorBodyBytes, ct);
        var retryAfter = ProviderClients.RetryAfterOf(response);
        var (error, errorClass) = GatewayErrors.FromProvider(status, provider, WireTranslation.ReadProviderError(bytes, providerFormat, status), retryAfter);
        return (error, errorClass, retryAfter);
    }

    /// <summary>How much of a provider's error body is read.</summary>
    public const int ErrorBodyBytes = 64 * 1024;

    /// <summary>
    /// A provider's whole body; one larger than <paramref name="cap"/> bytes (declared or as it arrives) fails with
    /// <see cref="OversizedAnswerException"/> without reading further.
    /// </summary>
    public static async Task<byte[]> ReadCappedAsync(HttpResponseMessage response, int cap, CancellationToken ct, string what = "answer")
    {
        if (response.Content.Headers.ContentLength is { } declared && declared > cap) throw new OversizedAnswerException(cap, declared, what);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > cap) throw new OversizedAnswerException(cap, buffer.Length + read, what);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>At most the first <paramref name="cap"/> bytes of a provider's body; the rest is never read.</summary>
    public static async Task<byte[]> ReadPrefixAsync(HttpResponseMessage response, int cap, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[cap];
        var filled = 0;
        int read;
        while (filled < cap && (read = await stream.ReadAsync(buffer.AsMemory(filled), ct)) > 0) filled += read;
        return buffer[..filled];
    }
}
