using System.Security.Claims;
using System.Text.Encodings.Web;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Gateway;

/// <summary>
/// The gateway's authentication scheme: a virtual key in <c>Authorization: Bearer</c> (OpenAI clients) or
/// <c>x-api-key</c> (Anthropic clients), checked against the in-memory <see cref="KeyRing"/> (which asks the database once about a key it does not hold yet). Refusals answer in
/// the caller's own error format; an expired or revoked key's call is still recorded.
/// </summary>
internal sealed class GatewayKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    KeyRing ring, TimeProvider clock, CallLog callLog, GatewayMetrics metrics)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private Refusal _refusal = Refusal.Missing;

    private enum Refusal { Missing, Unknown, Expired, Revoked }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Presented(Request);
        if (presented.IsEmpty) return Task.FromResult(AuthenticateResult.NoResult());
        // The snapshot answers synchronously; only a key it does not hold yet waits for the database.
        var found = ring.FindAsync(presented, Context.RequestAborted);
        return found.IsCompletedSuccessfully ? Task.FromResult(Admit(found.Result)) : AdmitAsync(found);
    }

    private async Task<AuthenticateResult> AdmitAsync(ValueTask<KeyEntry?> found) => Admit(await found);

    private AuthenticateResult Admit(KeyEntry? key)
    {
        if (key is null)
        {
            _refusal = Refusal.Unknown;
            return AuthenticateResult.Fail("Unknown key.");
        }
        var call = GatewayCall.Of(Context);
        call.Admit(key);
        switch (key.StatusAt(clock.GetUtcNow().UtcDateTime))
        {
            case ApiKeyStatus.Expired:
                _refusal = Refusal.Expired;
                return AuthenticateResult.Fail("Expired key.");
            case ApiKeyStatus.Revoked:
                _refusal = Refusal.Revoked;
                return AuthenticateResult.Fail("Revoked key.");
        }
        var identity = new ClaimsIdentity([new Claim(Policies.GatewayKeyClaim, key.Id.ToString())], Policies.GatewayKeyScheme);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Policies.GatewayKeyScheme));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var call = GatewayCall.Of(Context);
        var (code, message) = _refusal switch
        {
            Refusal.Missing => ("missing_api_key", "No API key was sent. Send your ControlPlane key as 'Authorization: Bearer cp-live-…' (or 'x-api-key')."),
            Refusal.Expired => ("expired_api_key", $"The API key {call.Key!.Prefix}… expired at {call.Key.ExpiresAt:yyyy-MM-dd HH:mm} UTC. Ask your team lead for a new one."),
            Refusal.Revoked => ("revoked_api_key", $"The API key {call.Key!.Prefix}… was revoked. Ask your team lead for a new one."),
            _ => ("invalid_api_key", "The API key is not valid. Check that you copied the whole key (it starts with cp-live-)."),
        };
        if (call.Key is not null)
        {
            // The key is known, so the refused call belongs to its team's history.
            call.Record.Status = StatusCodes.Status401Unauthorized;
            call.Record.ErrorClass = code;
            call.Record.UsageSource = UsageSource.None;
            call.Record.LatencyMs = (int)call.Elapsed.TotalMilliseconds;
            metrics.Record(call);
            await callLog.RecordAsync(new MeteredCall(call.Record));
        }
        else
        {
            metrics.Refused(StatusCodes.Status401Unauthorized, code);
        }
        await GatewayErrors.WriteAsync(Context, call, new WireError(StatusCodes.Status401Unauthorized, "authentication_error", message, Code: code));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        GatewayErrors.WriteAsync(Context, GatewayCall.Of(Context), new WireError(StatusCodes.Status403Forbidden, "permission_error", "This key may not use this endpoint."));

    private static ReadOnlySpan<char> Presented(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return authorization.AsSpan(7).Trim();
        var apiKey = request.Headers["x-api-key"].ToString();
        return apiKey.AsSpan().Trim();
    }
}
