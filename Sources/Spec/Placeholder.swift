public enum SpecPlaceholder {}
