using CrackSeg.Common;
using CrackSeg.Config;

namespace CrackSeg.Training.Losses;

/// <summary>Builds the loss named by <c>training.loss</c>.</summary>
public static class LossFactory
{
    /// <summary>
    /// bce (pos_weight), dice (dice_smooth), focal (focal_alpha, focal_gamma),
    /// focal_dice = primary_weight·focal + dice_weight·dice (0.6/0.4 by default, the Python experiment's),
    /// bce_dice = primary_weight·bce + dice_weight·dice, tversky (tversky_alpha, tversky_beta, dice_smooth);
    /// with cldice_weight &gt; 0, that loss + cldice_weight·clDice (cldice_iterations).
    /// </summary>
    /// <exception cref="InputException">Unknown name or a value out of range.</exception>
    public static SegmentationLoss Create(LossConfig config)
    {
        try
        {
            var loss = Named(config);
            return config.CldiceWeight > 0
                ? new WeightedSumLoss($"{config.Name}+cldice", loss, 1.0, new ClDiceLoss(config.CldiceIterations), config.CldiceWeight)
                : loss;
        }
        catch (ArgumentOutOfRangeException e)
        {
            string expected = e.Message.Split(" (Parameter")[0].Trim();
            throw new InputException($"training.loss.{ConfigKey(config.Name, e.ParamName)} = {e.ActualValue}: expected {expected}", e);
        }
    }

    private static SegmentationLoss Named(LossConfig config) =>
        config.Name switch
        {
            "bce" => new BceLoss(config.PosWeight),
            "dice" => new DiceLoss(config.DiceSmooth),
            "focal" => new FocalLoss(config.FocalAlpha, config.FocalGamma),
            "focal_dice" => new WeightedSumLoss("focal_dice",
                new FocalLoss(config.FocalAlpha, config.FocalGamma), config.PrimaryWeight,
                new DiceLoss(config.DiceSmooth), config.DiceWeight),
            "bce_dice" => new WeightedSumLoss("bce_dice",
                new BceLoss(config.PosWeight), config.PrimaryWeight,
                new DiceLoss(config.DiceSmooth), config.DiceWeight),
            "tversky" => new TverskyLoss(config.TverskyAlpha, config.TverskyBeta, config.DiceSmooth),
            _ => throw new InputException(
                $"training.loss.name: unknown loss '{config.Name}'; {OptionNames.Expected(OptionList.Losses)}"),
        };

    private static string ConfigKey(string loss, string? parameter) => (loss, parameter) switch
    {
        ("tversky", "alpha") => "tversky_alpha",
        ("tversky", "beta") => "tversky_beta",
        (_, "iterations") => "cldice_iterations",
        (_, "alpha") => "focal_alpha",
        (_, "gamma") => "focal_gamma",
        (_, "smooth") => "dice_smooth",
        (_, "posWeight") => "pos_weight",
        (_, "primaryWeight") => "primary_weight",
        (_, "secondaryWeight") => "dice_weight",
        _ => parameter ?? "?",
    };
}
