using MudBlazor;

namespace ControlPlane.Components.Layout;

/// <summary>The product's one MudTheme: an indigo primary and teal secondary, in a light and a dark palette.</summary>
public static class ControlPlaneTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3949ab",
            Secondary = "#00897b",
            Tertiary = "#8e24aa",
            AppbarBackground = "#283593",
            AppbarText = "#ffffff",
            Background = "#f5f6fa",
            Surface = "#ffffff",
            DrawerBackground = "#ffffff",
            DrawerText = "rgba(0,0,0,0.80)",
            DrawerIcon = "#3949ab",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8c9eff",
            Secondary = "#4db6ac",
            Tertiary = "#ce93d8",
            AppbarBackground = "#1b1d2a",
            AppbarText = "rgba(255,255,255,0.90)",
            Background = "#13141c",
            Surface = "#1e2030",
            DrawerBackground = "#1b1d2a",
            DrawerText = "rgba(255,255,255,0.80)",
            DrawerIcon = "#8c9eff",
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "6px" },
    };
}
