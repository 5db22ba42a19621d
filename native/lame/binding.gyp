{
  "targets": [
    {
      "target_name": "lame_native",
      "sources": ["src/lame_native.c"],
      "cflags": ["-O2"],
      "libraries": ["-lmp3lame"]
    }
  ]
}
