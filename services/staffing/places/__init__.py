"""Places (学位): capacity per stage, enrolment forecasts by cohort, and warnings (学位预警)."""
