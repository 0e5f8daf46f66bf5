public enum ControllerPlaceholder {}
