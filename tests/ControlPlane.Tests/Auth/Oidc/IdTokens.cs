using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ControlPlane.IdentityProviders;

namespace ControlPlane.Tests.Auth.Oidc;

/// <summary>What the OIDC tests do to a provider's id_tokens and keys on the way to the app.</summary>
public static class IdTokens
{
    /// <summary>The token with its payload changed, signed again with <paramref name="resign"/> under <paramref name="kid"/> (or keeping its signature).</summary>
    public static string WithPayload(string token, Action<JsonObject> change, RSA? resign, string kid = OidcIdentityProvider.KeyId)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        change(payload);
        var body = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        if (resign is null) return $"{parts[0]}.{body}.{parts[2]}";
        var header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($$"""{"alg":"RS256","typ":"JWT","kid":"{{kid}}"}"""));
        var signature = resign.SignData(Encoding.ASCII.GetBytes($"{header}.{body}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{body}.{Base64Url.EncodeToString(signature)}";
    }

    /// <summary>A token endpoint answer whose id_token went through <paramref name="change"/>.</summary>
    public static Func<string, string> RewritingIdToken(Func<string, string> change) => body =>
    {
        var json = JsonNode.Parse(body)!.AsObject();
        json["id_token"] = change(json["id_token"]!.GetValue<string>());
        return json.ToJsonString();
    };

    /// <summary>A JWKS document publishing only the public half of <paramref name="key"/> under <paramref name="kid"/>.</summary>
    public static string JwksOf(RSA key, string kid)
    {
        var p = key.ExportParameters(includePrivateParameters: false);
        var jwk = new JsonObject
        {
            ["kty"] = "RSA", ["kid"] = kid, ["use"] = "sig", ["alg"] = "RS256",
            ["n"] = Base64Url.EncodeToString(p.Modulus), ["e"] = Base64Url.EncodeToString(p.Exponent),
        };
        return new JsonObject { ["keys"] = new JsonArray(jwk) }.ToJsonString();
    }
}
