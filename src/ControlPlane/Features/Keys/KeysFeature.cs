namespace ControlPlane.Features.Keys;

public static class KeysFeature
{
    public static WebApplicationBuilder AddKeys(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<KeyService>();
        return builder;
    }
}
