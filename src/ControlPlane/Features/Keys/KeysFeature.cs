namespace ControlPlane.Features.Keys;

public static class KeysFeature
{
    public static WebApplicationBuilder AddKeys(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<KeysOptions>()
            .BindConfiguration(KeysOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddScoped<KeyService>();
        builder.Services.AddSingleton<KeyRing>();
        builder.Services.AddHostedService<KeyRingRefresher>();
        return builder;
    }
}
