namespace ControlPlane.Features.Limits;

public static class LimitsFeature
{
    public static WebApplicationBuilder AddLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateDataAnnotations()
            // Data annotations do not reach into the nested section on their own.
            .Validate(o => o.CallerCeiling is { Calls: >= 0, WindowMinutes: >= 0 and <= 1440 },
                "Limits:CallerCeiling needs Calls ≥ 0 and WindowMinutes between 0 and 1440 (0 turns the ceiling off).")
            .ValidateOnStart();
        builder.Services.AddSingleton<CallLimiter>();
        builder.Services.AddScoped<KeyLimitsService>();
        return builder;
    }
}
