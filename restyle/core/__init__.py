"""What both engines share: images, colour, devices and memory, VGG19 and the perceptual loss. Imports no engine."""
