module teamtask.dev/runtime/launcher

go 1.26.0
